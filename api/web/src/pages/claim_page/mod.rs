//! `/{lang}/ministry/claims/{id}` and `/{lang}/producer/claims/{id}`: one rebate claim, as the
//! ministry needs it to decide and as its applicant follows it. Every figure is
//! `GET /v1/claims/{id}`'s (`handlers::claims::get` with the session's key: a producer reads
//! only its own claims, any other id is 404): each line as filed and its fate and rule, how
//! the rebate was worked out (minimum, rate and uplifts, caps, tax; the same words as the
//! estimator's, `derivation::result_view`), the rates it was converted at (in force, and the
//! applicant's own when it gave any) and the history with who and when.
//!
//! The ministry's page carries the decision forms beside those figures, with what the
//! programme's pool has left this year: it is the only place they are, so no claim is decided
//! without its figures on the screen. A refused decision comes back to this page (422) with
//! the refusal in the page's language (see `ministry::decisions`).

use std::time::Instant;

pub mod decision;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::derivation::{result_view, ResultView};
use crate::estimate::{code_word, programme_label};
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::claim_status;
use crate::words::title_in;
use api_core::auth::Role;
use api_core::handlers;
use api_core::handlers::claims::ClaimView;
use api_core::state::AppState;

/// One spend line: as filed, then as the programme judged it.
pub struct LineRow {
    pub id: String,
    pub category: String,
    pub paid_on: String,
    pub vendor_country: String,
    /// The amount in the currency it was paid in.
    pub filed: String,
    /// In the programme's currency, at the rate of its payment date.
    pub amount: String,
    pub qualifying: String,
    pub excluded: String,
    pub reason: String,
    pub excluded_class: &'static str,
}

/// A rate a line was converted at.
pub struct FxRow {
    pub currency: String,
    pub date: String,
    pub official: String,
    pub claimed: String,
    /// The applicant's rate differs from the one in force.
    pub differs: bool,
}

pub struct StepRow {
    pub at: String,
    pub status: String,
    pub by: String,
    pub reason: String,
}

/// The ministry's decision forms: approve and reject a submitted claim, mark an approved one
/// paid; none once it is rejected or paid.
pub struct Decide {
    pub csrf: String,
    pub submitted: bool,
    pub approved: bool,
    pub pool_left: Option<String>,
}

#[derive(Template)]
#[template(path = "claim_page.html")]
pub struct ClaimPage {
    pub chrome: Chrome,
    pub id: String,
    pub back: String,
    pub status: String,
    pub programme: String,
    pub film: String,
    pub film_href: Option<String>,
    pub applicant: String,
    pub submitted: String,
    pub rebate: String,
    pub production: String,
    pub fx_source: String,
    pub applicant_fx: Option<String>,
    pub r: Option<ResultView>,
    pub lines: Vec<LineRow>,
    pub fx: Vec<FxRow>,
    pub history: Vec<StepRow>,
    pub decide: Option<Decide>,
    pub refusal: Option<String>,
}

/// `GET`: the claim page of the session's role.
pub async fn page(s: &AppState, lang: Lang, signed: &Signed, id: &str) -> Response {
    render(s, lang, signed, id, None).await
}

/// The page, with a decision's refusal (422) when there is one.
pub async fn render(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    id: &str,
    refusal: Option<String>,
) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let home = if p.role == Role::Ministry {
        "ministry"
    } else {
        "producer"
    };
    let rest = format!("{home}/claims/{}", crate::params::path_segment(id));
    let done = |resp: Response| {
        cabinet::done(
            s,
            resp,
            p,
            "web_claim",
            "/{lang}/{role}/claims/{id}",
            "",
            started,
        )
    };
    let v = match handlers::claims::get(s, p, id.to_owned()).await {
        Ok(v) => v,
        Err(e) => return done(page::error(lang, &rest, "", &e)),
    };
    let pool_left = if p.role == Role::Ministry && v.status == "submitted" {
        let year = u16::try_from(chrono::Datelike::year(&s.today())).unwrap_or(2026);
        match handlers::claims::pools(s, p, handlers::claims::PoolsQuery { year }).await {
            Ok(pools) => pools
                .programmes
                .iter()
                .find(|x| x.programme == v.programme)
                .and_then(|x| x.left.as_ref())
                .and_then(|l| l.parse::<Decimal>().ok())
                .map(|l| i18n::amount(lang, l, &v.currency)),
            Err(e) => return done(page::error(lang, &rest, "", &e)),
        }
    } else {
        None
    };
    let registry = s.registry().await.ok();
    let mut chrome = cabinet::chrome(s, lang, signed, "claim-page-title", home, &rest, "").await;
    chrome.title = format!("{} {}", i18n::t(lang, "claim-page-title"), v.claim_id);
    let decide = (p.role == Role::Ministry).then(|| Decide {
        csrf: signed.session.csrf.clone(),
        submitted: v.status == "submitted",
        approved: v.status == "approved",
        pool_left,
    });
    let film = v.film_id.as_deref().map(|f| {
        let title = registry
            .as_ref()
            .and_then(|r| r.films.get(f))
            .map(|x| &x.title);
        (title_in(lang, title, f), f.to_owned())
    });
    // Who filed: a BIN holder by its registered name, a foreign applicant by the ministry's
    // record of it; the id beside the name.
    let record = api_core::applicants::load(&s.app, &v.submitted_by)
        .await
        .ok()
        .flatten();
    let applicant = crate::words::filer(
        lang,
        registry.as_deref(),
        record.as_ref().map(|a| a.name.as_str()),
        &v.submitted_by,
    );
    let body = view(s, lang, &v, home, film, applicant, decide, refusal.clone());
    let status = if refusal.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    done(page::html(status, lang, &ClaimPage { chrome, ..body }))
}

/// The page's words and figures from the claim as the API gives it.
#[allow(clippy::too_many_arguments)]
fn view(
    s: &AppState,
    lang: Lang,
    v: &ClaimView,
    home: &str,
    film: Option<(String, String)>,
    applicant: String,
    decide: Option<Decide>,
    refusal: Option<String>,
) -> ClaimPage {
    let filed: Option<rebate_engine::ClaimInput> = serde_json::from_value(v.claim.clone()).ok();
    let result: Option<rebate_engine::RebateResult> = serde_json::from_value(v.result.clone()).ok();
    let budget = filed
        .as_ref()
        .and_then(|c| c.production.total_budget.amount.parse::<Decimal>().ok())
        .unwrap_or_default();
    let r = result
        .as_ref()
        .map(|r| result_view(lang, &s.programmes, r, budget));
    let money = |d: Decimal| i18n::amount(lang, d, &v.currency);
    let lines = result
        .as_ref()
        .map(|r| {
            r.lines
                .iter()
                .map(|l| {
                    let input = filed
                        .as_ref()
                        .and_then(|c| c.lines.iter().find(|x| x.id == l.id));
                    LineRow {
                        id: l.id.clone(),
                        category: code_word(lang, "cat", &l.category),
                        paid_on: input
                            .map(|x| i18n::iso_date(lang, &x.paid_on))
                            .unwrap_or_default(),
                        vendor_country: input.map(|x| x.vendor_country.clone()).unwrap_or_default(),
                        filed: input
                            .and_then(|x| {
                                x.amount
                                    .parse::<Decimal>()
                                    .ok()
                                    .map(|a| i18n::amount(lang, a, &x.currency))
                            })
                            .unwrap_or_default(),
                        amount: money(l.amount),
                        qualifying: money(l.qualifying),
                        excluded: money(l.excluded),
                        reason: code_word(lang, "reason", &l.reason),
                        excluded_class: if l.excluded > Decimal::ZERO {
                            "bad"
                        } else {
                            "ok"
                        },
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    let rate = |x: &serde_json::Value| {
        x.as_str().and_then(|r| r.parse::<Decimal>().ok()).map(|r| {
            let n = i18n::number(lang, r, 4);
            match lang {
                Lang::En => format!("₸{n}"),
                Lang::Kk | Lang::Ru => format!("{n}\u{a0}₸"),
            }
        })
    };
    let fx = v.result["fx_used"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|x| {
            let official = rate(&x["official"]);
            let claimed = rate(&x["claimed"]);
            FxRow {
                currency: x["currency"].as_str().unwrap_or_default().to_owned(),
                date: i18n::iso_date(lang, x["date"].as_str().unwrap_or_default()),
                differs: claimed.is_some() && claimed != official,
                official: official.unwrap_or_else(|| "—".into()),
                claimed: claimed.unwrap_or_else(|| "—".into()),
            }
        })
        .collect();
    let applicant_fx = v.result["applicant_fx"]["rebate"]
        .as_str()
        .and_then(|a| a.parse::<Decimal>().ok())
        .map(|asserted| {
            let difference = v.result["applicant_fx"]["difference"]
                .as_str()
                .and_then(|d| d.parse::<Decimal>().ok())
                .unwrap_or_default();
            i18n::t_with(
                lang,
                "claim-applicant-fx",
                &[
                    ("rebate", money(asserted)),
                    ("difference", money(difference)),
                ],
            )
        });
    let fx_source = v.result["fx_source"]
        .as_str()
        .map(|x| i18n::t(lang, &format!("fx-source-{x}")))
        .unwrap_or_default();
    let production = filed
        .as_ref()
        .map(|c| {
            format!(
                "{} · {}",
                c.production.title,
                code_word(lang, "kind", &c.production.kind)
            )
        })
        .unwrap_or_default();
    let history = v
        .history
        .iter()
        .map(|st| StepRow {
            at: i18n::timestamp(lang, &st.at),
            status: claim_status(lang, &st.status),
            by: if st.by == st.role {
                crate::words::role_word(lang, &st.role)
            } else {
                st.by.clone()
            },
            reason: st.reason.clone(),
        })
        .collect::<Vec<_>>();
    ClaimPage {
        chrome: Chrome::new(lang, "claim-page-title", "", "", ""),
        id: v.claim_id.clone(),
        back: format!("/{}/{home}", lang.code()),
        status: claim_status(lang, &v.status),
        programme: programme_label(s, lang, &v.programme),
        film_href: film
            .as_ref()
            .map(|(_, id)| crate::words::film_href(lang, id)),
        film: film.map_or_else(|| i18n::t(lang, "claim-no-film"), |(t, _)| t),
        applicant,
        submitted: history.first().map(|h| h.at.clone()).unwrap_or_default(),
        rebate: v
            .rebate
            .parse::<Decimal>()
            .map(money)
            .unwrap_or_else(|_| v.rebate.clone()),
        production,
        fx_source,
        applicant_fx,
        r,
        lines,
        fx,
        history,
        decide,
        refusal,
    }
}
