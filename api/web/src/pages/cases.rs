//! Cases opened from signals (see `api_core::cases`), for the ministry and for the cinema:
//!
//! - `POST /{lang}/ministry/cases`: the signals page's form opens a case from the signals
//!   ticked (one cinema's), then shows it;
//! - `/{lang}/ministry/cases` and `/{lang}/cinema/cases`: the list (`GET /v1/cases`, `GET
//!   /v1/cinemas/{bin}/cases`), the ministry's filtered by a GET form (a shareable URL);
//! - `/{lang}/{ministry|cinema}/cases/{id}`: one case (`GET /v1/cases/{id}`): its signals with
//!   their evidence, the estimates, every step with who and when, and the forms of what the
//!   reader may do next: the ministry's notice (in Kazakh or Russian) and decision, the
//!   cinema's reply. Each form posts to the case's address and goes through the JSON API's
//!   own use case; the page then shows the case again (303), or the refusal in its language.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::{self, Signed};
use crate::words::title_in;
use api_core::auth::{Principal, Role};
use api_core::cases::rules::{Refusal, State};
use api_core::cases::NO_BREACH;
use api_core::error::ApiError;
use api_core::handlers::cases::{
    self, CaseDecisionBody, CaseView, CasesQuery, NoticeBody, OpenCaseBody, ReplyBody, SignalRef,
};
use api_core::state::AppState;

pub struct Row {
    pub id: String,
    pub cinema: String,
    pub opened: String,
    pub state: String,
    pub state_code: &'static str,
    pub signals: usize,
    pub unreported: String,
    pub decision: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
pub struct CasesPage {
    pub chrome: Chrome,
    pub form: HashMap<String, String>,
    pub home: &'static str,
    pub all: bool,
    pub states: Vec<(&'static str, String)>,
    pub rows: Vec<Row>,
}

impl CasesPage {
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }
}

pub struct SignalLine {
    pub day: String,
    pub kind: String,
    pub session: String,
    pub hall: String,
    pub evidence: String,
    pub at_stake: String,
}

pub struct StepLine {
    pub at: String,
    pub what: String,
    pub who: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "case.html")]
pub struct CasePage {
    pub chrome: Chrome,
    pub home: &'static str,
    pub ministry: bool,
    pub csrf: String,
    pub id: String,
    pub cinema: String,
    pub bin: String,
    pub state: String,
    pub decision: String,
    pub gross_in_doubt: String,
    pub unreported: String,
    pub withheld: String,
    pub note: String,
    pub signals: Vec<SignalLine>,
    pub steps: Vec<StepLine>,
    pub can_notice: bool,
    pub can_reply: bool,
    pub can_decide: bool,
    /// The cinema's case on which the ministry has not written yet.
    pub awaiting: bool,
    /// The ladder in the page's language, `none` first.
    pub ladder: Vec<(String, String)>,
    pub draft: String,
    pub error: Option<String>,
}

fn money(lang: Lang, k: schemas::Kzt) -> String {
    i18n::money(lang, Decimal::new(k.tiyn(), 2))
}

/// A refusal in the page's language: a case's 409s by their sentence, the rest as any page.
fn said(lang: Lang, e: &ApiError) -> String {
    if let ApiError::Conflict(reason) = e {
        for r in [
            Refusal::Decided,
            Refusal::NoNotice,
            Refusal::SanctionWithoutNotice,
        ] {
            if *reason == r.to_string() {
                return i18n::t(lang, &format!("case-refused-{}", r.code()));
            }
        }
    }
    page::message(lang, e)
}

fn state_word(lang: Lang, s: State) -> String {
    i18n::t(lang, &format!("case-state-{}", s.code()))
}

/// A decision's name in the page's language (`none` from the catalogue, a ladder step from
/// its settings).
fn decision_word(s: &AppState, lang: Lang, code: &str) -> String {
    if code == NO_BREACH {
        return i18n::t(lang, "case-decision-none");
    }
    match s.settings.cases.step(code) {
        Some(step) => match lang {
            Lang::Kk => step.kk.clone(),
            Lang::Ru => step.ru.clone(),
            Lang::En => step.en.clone(),
        },
        None => code.to_owned(),
    }
}

fn home_of(p: &Principal) -> &'static str {
    if p.role == Role::Ministry {
        "ministry"
    } else {
        "cinema"
    }
}

pub async fn list(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let all = p.role == Role::Ministry;
    let home = home_of(p);
    let (route, path) = if all {
        ("web_cases", "/{lang}/ministry/cases")
    } else {
        ("web_cinema_cases", "/{lang}/cinema/cases")
    };
    let rest = format!("{home}/cases");
    let form = crate::params::form(query);
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let reply = if all {
        cases::all(
            s,
            p,
            CasesQuery {
                cinema: get("cinema"),
                state: get("state"),
            },
        )
        .await
    } else {
        let bin = p.bin.as_ref().map(ToString::to_string).unwrap_or_default();
        cases::of_cinema(s, p, bin).await
    };
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            let html = page::error(lang, &rest, query, &e);
            return cabinet::done(s, html, p, route, path, query, started);
        }
    };
    let registry = s.registry().await.ok();
    let rows = reply
        .cases
        .iter()
        .map(|c| Row {
            id: c.case_id.clone(),
            cinema: registry.as_ref().map_or(c.cinema_bin.clone(), |r| {
                title_in(lang, r.cinema_names.get(&c.cinema_bin), &c.cinema_bin)
            }),
            opened: i18n::timestamp(lang, &c.opened_at),
            state: state_word(lang, c.state),
            state_code: c.state.code(),
            signals: c.signals.len(),
            unreported: money(lang, c.unreported_gross),
            decision: c
                .decision
                .as_deref()
                .map_or_else(String::new, |d| decision_word(s, lang, d)),
        })
        .collect();
    let states = State::ALL
        .iter()
        .map(|st| (st.code(), state_word(lang, *st)))
        .collect();
    let chrome = cabinet::chrome(s, lang, signed, "case-list-title", home, &rest, query).await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &CasesPage {
            chrome,
            form,
            home,
            all,
            states,
            rows,
        },
    );
    cabinet::done(s, html, p, route, path, query, started)
}

/// The notice the ministry's form starts from, in `lang` (kk or ru), naming the case, the
/// cinema and the signals; the inspector edits it before sending.
fn draft(lang: Lang, c: &CaseView, cinema: &str) -> String {
    let lines: Vec<String> = c
        .signals
        .iter()
        .map(|g| {
            format!(
                "— {}, {} {}: {}",
                i18n::date(lang, g.day),
                i18n::t(lang, "sig-session").to_lowercase(),
                g.screening_id,
                crate::evidence::sentence(lang, &g.kind, &g.evidence)
            )
        })
        .collect();
    i18n::t_with(
        lang,
        "case-notice-draft",
        &[
            ("case", c.case_id.clone()),
            ("cinema", cinema.to_owned()),
            ("signals", lines.join("\n")),
        ],
    )
}

/// The case page, with `error` said above its forms.
async fn render(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    c: &CaseView,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let p = &signed.principal;
    let ministry = p.role == Role::Ministry;
    let home = home_of(p);
    let registry = s.registry().await.ok();
    let cinema = registry.as_ref().map_or(c.cinema_bin.clone(), |r| {
        title_in(lang, r.cinema_names.get(&c.cinema_bin), &c.cinema_bin)
    });
    let signals = c
        .signals
        .iter()
        .map(|g| SignalLine {
            day: i18n::date(lang, g.day),
            kind: i18n::t(lang, &format!("sig-kind-{}", g.kind)),
            session: g.screening_id.clone(),
            hall: crate::words::hall_in(lang, &g.hall),
            evidence: crate::evidence::sentence(lang, &g.kind, &g.evidence),
            at_stake: if g.gross_at_stake.tiyn() == 0 {
                "—".into()
            } else {
                money(lang, g.gross_at_stake)
            },
        })
        .collect();
    let steps = c
        .steps
        .iter()
        .map(|st| {
            let what = match st.step.as_str() {
                "notice" => i18n::t_with(
                    lang,
                    "case-step-notice",
                    &[("lang", i18n::t(lang, &format!("case-lang-{}", st.lang)))],
                ),
                "decision" => {
                    let mut w = i18n::t_with(
                        lang,
                        "case-step-decision",
                        &[("decision", decision_word(s, lang, &st.decision))],
                    );
                    if let Some(a) = st.amount {
                        w.push_str(&format!(" · {}", money(lang, a)));
                    }
                    w
                }
                other => i18n::t(lang, &format!("case-step-{other}")),
            };
            let who = if st.role == Role::Ministry.as_str() {
                let ministry = i18n::t(lang, "case-by-ministry");
                if st.by.is_empty() {
                    ministry
                } else {
                    format!("{ministry} · {}", st.by)
                }
            } else {
                i18n::t(lang, "case-by-cinema")
            };
            StepLine {
                at: i18n::timestamp(lang, &st.at),
                what,
                who,
                text: st.text.clone(),
            }
        })
        .collect();
    let decided = c.state == State::Decided;
    let mut ladder = vec![(NO_BREACH.to_owned(), decision_word(s, lang, NO_BREACH))];
    ladder.extend(
        s.settings
            .cases
            .ladder
            .iter()
            .map(|l| (l.code.clone(), decision_word(s, lang, &l.code))),
    );
    let draft_lang = if lang == Lang::Ru { Lang::Ru } else { Lang::Kk };
    let rest = format!("{home}/cases/{}", crate::params::path_segment(&c.case_id));
    let mut chrome = cabinet::chrome(s, lang, signed, "case-title", home, &rest, "").await;
    chrome.title = format!("{} {}", i18n::t(lang, "case-title"), c.case_id);
    page::html(
        status,
        lang,
        &CasePage {
            chrome,
            home,
            ministry,
            csrf: signed.session.csrf.clone(),
            id: c.case_id.clone(),
            bin: c.cinema_bin.clone(),
            state: state_word(lang, c.state),
            decision: c
                .decision
                .as_deref()
                .map_or_else(String::new, |d| decision_word(s, lang, d)),
            gross_in_doubt: money(lang, c.gross_in_doubt),
            unreported: money(lang, c.unreported_gross),
            withheld: money(lang, c.withheld_rentals),
            note: c.note.clone(),
            signals,
            steps,
            can_notice: ministry && !decided,
            can_decide: ministry && !decided,
            can_reply: !ministry && matches!(c.state, State::Notified | State::Answered),
            awaiting: !ministry && c.state == State::Open,
            ladder,
            draft: draft(draft_lang, c, &cinema),
            cinema,
            error,
        },
    )
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, id: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let home = home_of(p);
    let (route, path) = if p.role == Role::Ministry {
        ("web_case", "/{lang}/ministry/cases/{id}")
    } else {
        ("web_cinema_case", "/{lang}/cinema/cases/{id}")
    };
    let html = match cases::get(s, p, id.to_owned()).await {
        Ok(c) => render(s, lang, signed, &c, None, StatusCode::OK).await,
        Err(e) => page::error(lang, &format!("{home}/cases"), "", &e),
    };
    cabinet::done(s, html, p, route, path, "", started)
}

fn field(form: &[(String, String)], name: &str) -> String {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

/// `POST /{lang}/ministry/cases`: opens a case from the signals ticked on the signals page
/// (each `signal` is `bin|kind|day|session`), then shows it.
pub async fn open(s: &AppState, lang: Lang, signed: &Signed, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let done = |resp: Response| {
        api_edge::audited(
            s,
            resp,
            p,
            "POST",
            "web_open_case",
            "/{lang}/ministry/cases",
            "",
            started,
            0,
        )
    };
    let Some(form) = session::posted(signed, body) else {
        return done(session::forbidden(lang));
    };
    let mut bins = Vec::new();
    let mut refs = Vec::new();
    for (k, v) in &form {
        if k != "signal" {
            continue;
        }
        let parts: Vec<&str> = v.splitn(4, '|').collect();
        if let [bin, kind, day, session] = parts[..] {
            if !bins.contains(&bin) {
                bins.push(bin);
            }
            refs.push(SignalRef {
                kind: kind.to_owned(),
                day: day.to_owned(),
                screening_id: session.to_owned(),
            });
        }
    }
    let refused = |key: &str| {
        let e = ApiError::bad("signals", i18n::t(lang, key));
        done(page::error(lang, "ministry/signals", "", &e))
    };
    if refs.is_empty() {
        return refused("case-pick-signals");
    }
    if bins.len() > 1 {
        return refused("case-one-cinema");
    }
    let opened = cases::open(
        s,
        p,
        OpenCaseBody {
            cinema_bin: bins[0].to_owned(),
            signals: refs,
            note: field(&form, "note"),
        },
    )
    .await;
    match opened {
        Ok(c) => done(session::see_other(
            &format!(
                "/{}/ministry/cases/{}",
                lang.code(),
                crate::params::path_segment(&c.case_id)
            ),
            Vec::new(),
        )),
        Err(e) => done(page::error(lang, "ministry/signals", "", &e)),
    }
}

/// `POST /{lang}/{ministry|cinema}/cases/{id}`: a notice or a decision (the ministry,
/// `action`), or a reply (the cinema); then the case again.
pub async fn post(s: &AppState, lang: Lang, signed: &Signed, id: &str, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let home = home_of(p);
    let (route, path) = if p.role == Role::Ministry {
        ("web_case_step", "/{lang}/ministry/cases/{id}")
    } else {
        ("web_cinema_case_step", "/{lang}/cinema/cases/{id}")
    };
    let done = |resp: Response| api_edge::audited(s, resp, p, "POST", route, path, "", started, 0);
    let Some(form) = session::posted(signed, body) else {
        return done(session::forbidden(lang));
    };
    let id = id.to_owned();
    let outcome = match (p.role, field(&form, "action").as_str()) {
        (Role::Ministry, "notice") => {
            cases::notice(
                s,
                p,
                id.clone(),
                NoticeBody {
                    lang: field(&form, "lang"),
                    text: field(&form, "text"),
                },
            )
            .await
        }
        (Role::Ministry, "decision") => {
            let amount = field(&form, "amount");
            cases::decide(
                s,
                p,
                id.clone(),
                CaseDecisionBody {
                    decision: field(&form, "decision"),
                    // A Kazakh or Russian reader types a decimal comma.
                    amount: (!amount.trim().is_empty()).then(|| amount.trim().replace(',', ".")),
                    note: field(&form, "note"),
                },
            )
            .await
        }
        (Role::Cinema, _) => {
            cases::reply(
                s,
                p,
                id.clone(),
                ReplyBody {
                    text: field(&form, "text"),
                },
            )
            .await
        }
        _ => Err(ApiError::bad("action", "must be notice or decision")),
    };
    match outcome {
        Ok(_) => done(session::see_other(
            &format!(
                "/{}/{home}/cases/{}",
                lang.code(),
                crate::params::path_segment(&id)
            ),
            Vec::new(),
        )),
        Err(e) => {
            let status = e.status();
            let message = said(lang, &e);
            match cases::get(s, p, id).await {
                Ok(c) => done(render(s, lang, signed, &c, Some(message), status).await),
                Err(e) => done(page::error(lang, &format!("{home}/cases"), "", &e)),
            }
        }
    }
}
