//! The estimate pages: `/{lang}/rebates/estimate` (the estimator and comparison) and
//! `/{lang}/rebates/brief`
//! (the printable briefing for a foreign crew; `format=pdf` prints it with headless
//! Chromium, see [`crate::pdf`]). Every estimate and briefing says that `kz` is a draft
//! programme and that no figure is an offer.

use askama::Template;
use rebate_engine::Programme;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::derivation::{result_view, ResultView};
use crate::estimate::{code_word, programme_name};
use crate::i18n::amount;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::words::Choice;
use api_core::estimate::{self, EstimateForm, Estimated};
use api_edge::State;

pub struct CategoryInput {
    pub code: String,
    pub label: String,
    pub local: String,
    pub abroad: String,
}

pub struct Check {
    pub item: String,
    pub state: String,
    pub class: &'static str,
}

pub struct EstimateView {
    pub form_query: String,
    pub currency: String,
    pub results: Vec<ResultView>,
    pub kz: Option<ResultView>,
    pub checklist: Vec<Check>,
    pub fx_source: String,
    pub fx_used: Vec<String>,
    pub mci: Option<String>,
    pub as_of: String,
    pub inputs: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "estimate.html")]
pub struct EstimatePage {
    pub chrome: Chrome,
    pub title: String,
    pub kind: Vec<Choice>,
    pub currency: String,
    pub total: String,
    pub applicant_country: String,
    pub registered_on: String,
    pub completed_on: String,
    pub as_of: String,
    pub days_total: String,
    pub days_outside: String,
    pub cultural: Vec<Choice>,
    pub categories: Vec<CategoryInput>,
    pub programmes: Vec<Choice>,
    pub error: Option<String>,
    pub view: Option<EstimateView>,
    /// Whether the "save for a production" link is offered: to the film commission, and to
    /// a visitor not signed in (it leads to the sign-in), not to another role's reader.
    pub can_save: bool,
}

/// One language's briefing. `chrome` is built for that language so the body and the templates
/// it includes read their words from it, whichever language the page around it is in.
#[derive(Template)]
#[template(path = "brief_body.html")]
pub struct BriefBody {
    pub chrome: Chrome,
    pub production: String,
    pub view: EstimateView,
}

pub struct PairLink {
    pub code: &'static str,
    pub name: String,
    pub href: String,
    pub current: bool,
}

/// The briefing in the page's language, or in two side by side (`lang2=`).
#[derive(Template)]
#[template(path = "brief.html")]
pub struct BriefPage {
    pub chrome: Chrome,
    /// (language code, rendered body), escaped by its own template.
    pub bodies: Vec<(&'static str, String)>,
    /// Links to the same briefing beside each other language (and back to one).
    pub pairs: Vec<PairLink>,
    pub pdf_href: String,
    pub estimate_href: String,
    /// The landscape print stylesheet a pair links.
    pub wide_css: String,
}

fn checklist(lang: Lang, e: &Estimated) -> Vec<Check> {
    let Some(kz) = e.comparison.results.iter().find(|r| r.programme == "kz") else {
        return vec![];
    };
    let state = |s: Option<bool>| match s {
        Some(true) => (i18n::t(lang, "check-met"), "ok"),
        Some(false) => (i18n::t(lang, "check-not-met"), "bad"),
        None => (i18n::t(lang, "check-unknown"), "unknown"),
    };
    let has = |code: &str| kz.ineligibility.iter().any(|r| r.code == code);
    [
        (
            "check-foreign-applicant",
            Some(!has("applicant_not_foreign")),
        ),
        ("check-kind", Some(!has("kind_not_covered"))),
        ("check-minimum", kz.minimum.as_ref().map(|m| m.met)),
        ("check-vendors", None),
        ("check-spend-window", None),
        (
            "check-cultural",
            Some(
                kz.uplifts
                    .iter()
                    .any(|u| u.code == "cultural_test" && u.points > Decimal::ZERO),
            ),
        ),
        (
            "check-regions",
            Some(
                kz.uplifts
                    .iter()
                    .any(|u| u.code == "regions" && u.points > Decimal::ZERO),
            ),
        ),
    ]
    .into_iter()
    .map(|(k, s)| {
        let (state, class) = state(s);
        Check {
            item: i18n::t(lang, k),
            state,
            class,
        }
    })
    .collect()
}

pub fn view(lang: Lang, programmes: &[Programme], e: &Estimated) -> EstimateView {
    let cur = e.comparison.currency.to_string();
    let budget: Decimal = e.form.total.parse().unwrap_or_default();
    let results: Vec<ResultView> = e
        .comparison
        .results
        .iter()
        .map(|r| result_view(lang, programmes, r, budget))
        .collect();
    let kz = results.iter().find(|r| r.id == "kz").cloned();
    let f = &e.form;
    let spend_local: Decimal = f
        .local
        .values()
        .filter_map(|v| v.parse::<Decimal>().ok())
        .sum();
    let spend_abroad: Decimal = f
        .abroad
        .values()
        .filter_map(|v| v.parse::<Decimal>().ok())
        .sum();
    let inputs = vec![
        (i18n::t(lang, "est-title"), f.title.clone()),
        (i18n::t(lang, "est-kind"), code_word(lang, "kind", &f.kind)),
        (i18n::t(lang, "est-total"), amount(lang, budget, &cur)),
        (
            i18n::t(lang, "est-spend-local"),
            amount(lang, spend_local, &cur),
        ),
        (
            i18n::t(lang, "est-spend-abroad"),
            amount(lang, spend_abroad, &cur),
        ),
        (
            i18n::t(lang, "est-applicant-country"),
            f.applicant_country.clone(),
        ),
        (
            i18n::t(lang, "est-dates"),
            format!(
                "{} – {}",
                i18n::iso_date(lang, &f.registered_on),
                i18n::iso_date(lang, &f.completed_on)
            ),
        ),
        (
            i18n::t(lang, "est-days"),
            i18n::t_with(
                lang,
                "est-days-value",
                &[
                    ("total", f.days_total.clone()),
                    ("outside", f.days_outside.clone()),
                ],
            ),
        ),
        (
            i18n::t(lang, "est-cultural"),
            if f.cultural.is_empty() {
                "—".into()
            } else {
                f.cultural
                    .iter()
                    .map(|c| code_word(lang, "cultural", c))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
    ];
    EstimateView {
        form_query: f.query(),
        currency: cur.clone(),
        checklist: checklist(lang, e),
        results,
        kz,
        fx_source: i18n::t(lang, &format!("fx-source-{}", e.fx_source)),
        fx_used: e
            .fx_used
            .iter()
            .map(|(c, r)| {
                format!(
                    "{} = {}",
                    i18n::with_currency(lang, "1", c),
                    i18n::with_currency(lang, &i18n::number(lang, *r, 6), &cur)
                )
            })
            .chain(
                e.fx_latest
                    .map(|d| i18n::t_with(lang, "fx-latest", &[("date", i18n::date(lang, d))])),
            )
            .collect(),
        mci: e.mci.map(|(y, v, from)| {
            let key = if from == y { "mci-used" } else { "mci-carried" };
            i18n::t_with(
                lang,
                key,
                &[
                    ("year", y.to_string()),
                    ("value", i18n::money(lang, v)),
                    ("from", from.to_string()),
                ],
            )
        }),
        as_of: chrono::NaiveDate::parse_from_str(&f.as_of, "%Y-%m-%d")
            .map_or_else(|_| f.as_of.clone(), |d| i18n::date(lang, d)),
        inputs,
    }
}

pub fn estimate_page(
    lang: Lang,
    query: &str,
    programmes: &[Programme],
    form: &EstimateForm,
    outcome: Result<&Estimated, String>,
) -> EstimatePage {
    let cultural_items = estimate::cultural_items(programmes);
    let (view, error) = match outcome {
        Ok(e) => (Some(view(lang, programmes, e)), None),
        Err(msg) => (None, Some(msg)),
    };
    EstimatePage {
        chrome: Chrome::new(lang, "estimate-title", "rebates", "rebates/estimate", query),
        title: form.title.clone(),
        kind: estimate::KINDS
            .iter()
            .map(|k| Choice {
                value: (*k).into(),
                label: code_word(lang, "kind", k),
                selected: form.kind == *k,
            })
            .collect(),
        currency: form.currency.clone(),
        total: form.total.clone(),
        applicant_country: form.applicant_country.clone(),
        registered_on: form.registered_on.clone(),
        completed_on: form.completed_on.clone(),
        as_of: form.as_of.clone(),
        days_total: form.days_total.clone(),
        days_outside: form.days_outside.clone(),
        cultural: cultural_items
            .iter()
            .map(|c| Choice {
                value: c.clone(),
                label: code_word(lang, "cultural", c),
                selected: form.cultural.contains(c),
            })
            .collect(),
        categories: estimate::categories(programmes)
            .into_iter()
            .map(|c| CategoryInput {
                label: code_word(lang, "cat", &c),
                local: form.local.get(&c).cloned().unwrap_or_default(),
                abroad: form.abroad.get(&c).cloned().unwrap_or_default(),
                code: c,
            })
            .collect(),
        programmes: programmes
            .iter()
            .map(|p| Choice {
                value: p.id.clone(),
                label: programme_name(lang, p),
                selected: form.compare.contains(&p.id),
            })
            .collect(),
        error,
        view,
        can_save: true,
    }
}

pub async fn estimate(s: &State, lang: Lang, query: &str, cookie: Option<&str>) -> Response {
    let form = EstimateForm::from_query(query, s.today());
    // A session store that does not answer only costs the link's precision, not the page.
    let can_save = !matches!(
        crate::session::current(s, cookie).await,
        Ok(Some(signed)) if signed.principal.role != api_core::auth::Role::Commission
    );
    let (status, mut p) = match estimate::compute(s, form.clone()).await {
        Ok(e) => (
            StatusCode::OK,
            estimate_page(lang, query, &s.programmes, &form, Ok(&e)),
        ),
        Err(err) => (
            err.status(),
            estimate_page(
                lang,
                query,
                &s.programmes,
                &form,
                Err(page::message(lang, &err)),
            ),
        ),
    };
    p.can_save = can_save;
    page::html(status, lang, &p)
}

/// The second language of a side-by-side briefing: `lang2=` naming another language than
/// the page's (the page's own, or anything else, means one language).
pub fn second_language(lang: Lang, query: &str) -> Option<Lang> {
    crate::params::form(query)
        .get("lang2")
        .and_then(|c| Lang::parse(c))
        .filter(|l| *l != lang)
}

pub fn brief_page(
    lang: Lang,
    query: &str,
    programmes: &[Programme],
    e: &Estimated,
) -> Result<BriefPage, askama::Error> {
    let q = e.form.query();
    let lang2 = second_language(lang, query);
    let also = lang2
        .map(|l| format!("&lang2={}", l.code()))
        .unwrap_or_default();
    let mut bodies = Vec::new();
    for l in std::iter::once(lang).chain(lang2) {
        let body = BriefBody {
            chrome: Chrome::new(l, "brief-title", "rebates", "rebates/brief", query),
            production: e.form.title.clone(),
            view: view(l, programmes, e),
        };
        bodies.push((l.code(), body.render()?));
    }
    let pairs = Lang::ALL
        .iter()
        .filter(|l| **l != lang)
        .map(|l| PairLink {
            code: l.code(),
            name: l.name().to_owned(),
            href: format!("/{}/rebates/brief?{q}&lang2={}", lang.code(), l.code()),
            current: lang2 == Some(*l),
        })
        .chain(lang2.map(|_| PairLink {
            code: lang.code(),
            name: i18n::t(lang, "brief-one"),
            href: format!("/{}/rebates/brief?{q}", lang.code()),
            current: false,
        }))
        .collect();
    Ok(BriefPage {
        chrome: Chrome::new(lang, "brief-title", "rebates", "rebates/brief", query),
        bodies,
        pairs,
        pdf_href: format!("/{}/rebates/brief?{q}{also}&format=pdf", lang.code()),
        estimate_href: format!("/{}/rebates/estimate?{q}", lang.code()),
        wide_css: crate::assets::url("print-wide.css"),
    })
}

/// `GET /{lang}/rebates/brief`: the page, or with `format=pdf` the same page printed
/// (`crate::pdf`; one print at a time per `client` address).
pub async fn brief(s: &State, lang: Lang, query: &str, client: &str) -> Response {
    let form = EstimateForm::from_query(query, s.today());
    let pdf = crate::params::form(query).get("format").map(String::as_str) == Some("pdf");
    let e = match estimate::compute(s, form.clone()).await {
        Ok(e) => e,
        Err(err) if pdf => return api_edge::reply(err),
        Err(err) => return page::error(lang, "rebates/brief", query, &err),
    };
    let lang2 = second_language(lang, query);
    let page = brief_page(lang, query, &s.programmes, &e).and_then(|p| {
        let html = if pdf { Some(p.render()?) } else { None };
        Ok((p, html))
    });
    if let Ok((_, Some(html))) = &page {
        // The same page as rendered here, printed by a contained Chromium.
        let name = format!(
            "ekino-brief-{}{}.pdf",
            lang.code(),
            lang2.map(|l| format!("-{}", l.code())).unwrap_or_default()
        );
        return crate::pdf::render(html, &name, client).await;
    }
    match page.map(|(p, _)| p) {
        Ok(p) => page::html(StatusCode::OK, lang, &p),
        Err(err) => page::error(
            lang,
            "rebates/brief",
            query,
            &api_core::error::ApiError::Internal(err.to_string()),
        ),
    }
}
