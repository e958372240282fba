//! `/{lang}/rebates`: each programme's rules in plain words, generated from its data file
//! (rates, minimum, caps, uplifts, categories), with its version, dates and source; names and
//! notes in kk/ru come from the file too, marked when no translator has reviewed them.

use askama::Template;
use rebate_engine::programme::{BaseCap, Minimum, RateRule, RebateCap, Uplift};
use rebate_engine::Programme;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::estimate::{code_word, programme_name};
use crate::i18n::amount;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use api_edge::State;

pub struct ProgrammeView {
    pub id: String,
    pub name: String,
    pub country: String,
    pub currency: String,
    pub version: String,
    pub effective_from: String,
    pub rules_date: String,
    pub source: String,
    /// The source is shown in English (no translation in the file).
    pub source_in_english: bool,
    pub rules: Vec<String>,
    pub notes: Vec<String>,
    /// The notes are shown in English (no translation in the file).
    pub notes_in_english: bool,
    pub unreviewed: bool,
    pub draft: bool,
}

#[derive(Template)]
#[template(path = "rebates.html")]
pub struct ProgrammesPage {
    pub chrome: Chrome,
    pub programmes: Vec<ProgrammeView>,
}

/// The rules of a programme's version in plain words, from its data.
pub fn rules_in_words(
    lang: Lang,
    p: &Programme,
    v: &rebate_engine::programme::Version,
) -> Vec<String> {
    let t = |k: &str, a: &[(&str, String)]| i18n::t_with(lang, k, a);
    let cur = p.currency.to_string();
    let mut out = Vec::new();
    out.push(match &v.rate {
        RateRule::Flat { rate } => t(
            "rule-rate-flat",
            &[("rate", crate::i18n::percent(lang, rate.get()))],
        ),
        RateRule::ByKind { default, rates } => {
            let mut parts: Vec<String> = rates
                .iter()
                .map(|(k, r)| {
                    format!(
                        "{} {}",
                        code_word(lang, "kind", &format!("{k:?}").to_lowercase()),
                        crate::i18n::percent(lang, r.get())
                    )
                })
                .collect();
            parts.push(format!(
                "{} {}",
                i18n::t(lang, "rule-otherwise"),
                crate::i18n::percent(lang, default.get())
            ));
            t("rule-rate-by-kind", &[("rates", parts.join("; "))])
        }
        RateRule::Brackets { brackets, .. } => {
            let parts: Vec<String> = brackets
                .iter()
                .map(|b| match b.up_to {
                    Some(up) => format!(
                        "{} ≤ {}",
                        crate::i18n::percent(lang, b.rate.get()),
                        amount(lang, up, &cur)
                    ),
                    None => format!(
                        "{} {}",
                        crate::i18n::percent(lang, b.rate.get()),
                        i18n::t(lang, "rule-above")
                    ),
                })
                .collect();
            t("rule-rate-brackets", &[("rates", parts.join("; "))])
        }
        RateRule::Threshold {
            base,
            category,
            above,
            rate,
        } => t(
            "rule-rate-threshold",
            &[
                ("base", crate::i18n::percent(lang, base.get())),
                ("rate", crate::i18n::percent(lang, rate.get())),
                ("category", code_word(lang, "cat", category)),
                ("above", amount(lang, *above, &cur)),
            ],
        ),
    });
    for u in &v.uplifts {
        out.push(match u {
            Uplift::ShootingDaysOutside {
                points, min_share, ..
            } => t(
                "rule-uplift-days",
                &[
                    ("points", crate::i18n::percent(lang, *points)),
                    ("share", crate::i18n::percent(lang, min_share.get())),
                ],
            ),
            Uplift::Cultural { points, any_of, .. } => t(
                "rule-uplift-cultural",
                &[
                    ("points", crate::i18n::percent(lang, *points)),
                    (
                        "items",
                        any_of
                            .iter()
                            .map(|i| code_word(lang, "cultural", i))
                            .collect::<Vec<_>>()
                            .join(", "),
                    ),
                ],
            ),
            Uplift::Checklist {
                points_per_item,
                max_items,
                ..
            } => t(
                "rule-uplift-checklist",
                &[
                    ("points", crate::i18n::percent(lang, *points_per_item)),
                    ("max", max_items.to_string()),
                ],
            ),
        });
    }
    if let Some(m) = v.max_rate {
        out.push(t(
            "rule-max-rate",
            &[("rate", crate::i18n::percent(lang, m.get()))],
        ));
    }
    if let Some(m) = &v.minimum {
        out.push(match m {
            Minimum::Absolute { amount: a, by_kind } => {
                let mut parts: Vec<String> = by_kind
                    .iter()
                    .map(|(k, x)| {
                        format!(
                            "{} {}",
                            code_word(lang, "kind", &format!("{k:?}").to_lowercase()),
                            amount(lang, *x, &cur)
                        )
                    })
                    .collect();
                if let Some(a) = a {
                    parts.push(amount(lang, *a, &cur));
                }
                t("rule-minimum", &[("amount", parts.join("; "))])
            }
            Minimum::Index { index, units } => t(
                "rule-minimum-index",
                &[
                    ("units", i18n::number(lang, *units, 0)),
                    ("index", code_word(lang, "index", index)),
                ],
            ),
            Minimum::LowerOfAmountAndBudgetShare { amount: a, share } => t(
                "rule-minimum-lower",
                &[
                    ("amount", amount(lang, *a, &cur)),
                    ("share", crate::i18n::percent(lang, share.get())),
                ],
            ),
            Minimum::BudgetShare { share } => t(
                "rule-minimum-share",
                &[("share", crate::i18n::percent(lang, share.get()))],
            ),
        });
    }
    for c in &v.base_caps {
        let (code, share) = match c {
            BaseCap::ShareOfBudget { code, share }
            | BaseCap::CategoryShare { code, share, .. }
            | BaseCap::ForeignShareOfDomestic { code, share } => (code, share),
        };
        out.push(format!(
            "{} ({})",
            code_word(lang, "code", code),
            crate::i18n::percent(lang, share.get())
        ));
    }
    for c in &v.rebate_caps {
        out.push(match c {
            RebateCap::Absolute { code, amount: a } => format!(
                "{}: {}",
                code_word(lang, "code", code),
                amount(lang, *a, &cur)
            ),
            RebateCap::Index { code, index, units } => format!(
                "{}: {} {}",
                code_word(lang, "code", code),
                i18n::number(lang, *units, 0),
                code_word(lang, "index", index)
            ),
        });
    }
    if v.applicant_must_be_foreign {
        out.push(i18n::t(lang, "rule-foreign-applicant"));
    }
    if let Some(r) = v.credit_tax_rate {
        out.push(t(
            "rule-credit-tax",
            &[("rate", crate::i18n::percent(lang, r.get()))],
        ));
    }
    out
}

fn notes_in(lang: Lang, v: &rebate_engine::programme::Version) -> (Vec<String>, bool) {
    let own = match lang {
        Lang::Kk => &v.notes_kk,
        Lang::Ru => &v.notes_ru,
        Lang::En => &v.notes,
    };
    if own.len() == v.notes.len() {
        (own.clone(), false)
    } else {
        (v.notes.clone(), lang != Lang::En)
    }
}

/// The version's source in `lang`, and whether it fell back to English.
fn source_in(lang: Lang, v: &rebate_engine::programme::Version) -> (String, bool) {
    let own = match lang {
        Lang::Kk => v.source_kk.as_ref(),
        Lang::Ru => v.source_ru.as_ref(),
        Lang::En => Some(&v.source),
    };
    match own {
        Some(s) => (s.clone(), false),
        None => (v.source.clone(), true),
    }
}

pub fn programmes_page(lang: Lang, query: &str, programmes: &[Programme]) -> ProgrammesPage {
    let views = programmes
        .iter()
        .filter_map(|p| {
            let v = p.versions.last()?;
            let (notes, notes_in_english) = notes_in(lang, v);
            let (source, source_in_english) = source_in(lang, v);
            Some(ProgrammeView {
                id: p.id.clone(),
                name: programme_name(lang, p),
                country: p.country.clone(),
                currency: p.currency.to_string(),
                version: v.version.clone(),
                effective_from: i18n::date(lang, v.effective_from),
                rules_date: i18n::date(lang, v.rules_date),
                source,
                source_in_english,
                rules: rules_in_words(lang, p, v),
                notes,
                notes_in_english,
                unreviewed: !p.translation_reviewed && lang != Lang::En,
                draft: p.id == "kz",
            })
        })
        .collect();
    ProgrammesPage {
        chrome: Chrome::new(lang, "rebates-title", "rebates", "rebates", query),
        programmes: views,
    }
}

pub fn programmes(s: &State, lang: Lang, query: &str) -> Response {
    page::html(
        StatusCode::OK,
        lang,
        &programmes_page(lang, query, &s.programmes),
    )
}
