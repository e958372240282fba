//! The film commission's saved estimates grouped by production, as its start page and the
//! save form list them.

use std::collections::BTreeMap;

use api_core::handlers::productions::SavedEstimate;

use crate::i18n::{self, Lang};

/// One saved estimate as the start page lists it.
pub struct EstimateLine {
    pub id: String,
    pub title: String,
    pub budget: String,
    pub programmes: String,
    pub saved: String,
    pub by: String,
    pub note: String,
    pub estimate_href: String,
    pub brief_href: String,
    pub pdf_href: String,
}

/// A production with its estimates, newest first.
pub struct Production {
    pub name: String,
    pub estimates: Vec<EstimateLine>,
}

/// A total budget as the page writes numbers, with its currency's code (`1 500 000 USD`).
pub fn budget_words(lang: Lang, total: &str, currency: &str) -> String {
    match total.parse::<rust_decimal::Decimal>() {
        Ok(d) => format!("{} {currency}", i18n::number(lang, d, d.scale().min(2))),
        Err(_) => format!("{total} {currency}"),
    }
}

/// The saved estimates grouped by production (by name), each group newest first.
pub fn productions(lang: Lang, saved: Vec<SavedEstimate>) -> Vec<Production> {
    let code = lang.code();
    let mut by: BTreeMap<String, Vec<EstimateLine>> = BTreeMap::new();
    for e in saved {
        let budget = budget_words(lang, &e.total, &e.currency);
        by.entry(e.production.clone())
            .or_default()
            .push(EstimateLine {
                title: if e.title.is_empty() {
                    "—".into()
                } else {
                    e.title.clone()
                },
                budget,
                programmes: e
                    .compare
                    .iter()
                    .map(|c| c.to_uppercase())
                    .collect::<Vec<_>>()
                    .join(", "),
                saved: i18n::timestamp(lang, &e.saved_at),
                by: e.saved_by.clone(),
                note: e.note.clone(),
                estimate_href: format!("/{code}/rebates/estimate?{}", e.query),
                brief_href: format!("/{code}/rebates/brief?{}", e.query),
                pdf_href: format!("/{code}/rebates/brief?{}&format=pdf", e.query),
                id: e.estimate_id,
            });
    }
    by.into_iter()
        .map(|(name, estimates)| Production { name, estimates })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved(id: &str, production: &str, at: &str) -> SavedEstimate {
        SavedEstimate {
            estimate_id: id.into(),
            production: production.into(),
            query: "title=Dune&currency=USD&total=1500000&compare=kz&compare=ge".into(),
            note: String::new(),
            saved_by: "desk".into(),
            saved_at: at.into(),
            title: "Dune".into(),
            total: "1500000".into(),
            currency: "USD".into(),
            compare: vec!["kz".into(), "ge".into()],
        }
    }

    #[test]
    fn estimates_are_grouped_by_production_keeping_their_order_and_open_the_estimator_and_the_briefing(
    ) {
        let got = productions(
            Lang::En,
            vec![
                saved("ES-2", "Zhetysu", "2026-11-24T10:00:00+05:00"),
                saved("ES-1", "Aral", "2026-11-23T10:00:00+05:00"),
                saved("ES-0", "Zhetysu", "2026-11-22T10:00:00+05:00"),
            ],
        );
        assert_eq!(
            got.iter()
                .map(|p| (
                    p.name.as_str(),
                    p.estimates
                        .iter()
                        .map(|e| e.id.as_str())
                        .collect::<Vec<_>>()
                ))
                .collect::<Vec<_>>(),
            [("Aral", vec!["ES-1"]), ("Zhetysu", vec!["ES-2", "ES-0"])]
        );
        let e = &got[0].estimates[0];
        assert_eq!(
            (e.budget.as_str(), e.programmes.as_str()),
            ("1,500,000 USD", "KZ, GE")
        );
        assert_eq!(
            e.brief_href,
            "/en/rebates/brief?title=Dune&currency=USD&total=1500000&compare=kz&compare=ge"
        );
        assert_eq!(e.pdf_href, format!("{}&format=pdf", e.brief_href));
        assert_eq!(
            budget_words(Lang::Ru, "1500000.5", "USD"),
            "1\u{a0}500\u{a0}000,5 USD"
        );
    }
}
