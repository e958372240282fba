//! The estimator's words: programme names and labels, catalogue words for codes, and what
//! bound a result, in the page's language. The form itself and its computation are the
//! core's (`api_core::estimate`).

use rebate_engine::result::RebateResult;
use rebate_engine::Programme;
use rust_decimal::Decimal;

use crate::i18n::{self, Lang};

/// The programme's name in a language: its own kk/ru name, else English.
pub fn programme_name(lang: Lang, p: &Programme) -> String {
    match lang {
        Lang::Kk => p.name_kk.clone(),
        Lang::Ru => p.name_ru.clone(),
        Lang::En => None,
    }
    .filter(|n| !n.trim().is_empty())
    .unwrap_or_else(|| p.name.clone())
}

/// A programme id (`kz`, `pl`) as its name in a language; an id no programme has stays as it is.
pub fn programme_label(s: &api_core::state::AppState, lang: Lang, id: &str) -> String {
    s.programmes
        .iter()
        .find(|p| p.id == id)
        .map_or_else(|| id.to_owned(), |p| programme_name(lang, p))
}

/// A catalogue word for a code (`cat-crew_wages`), or the code itself when the catalogue
/// has none (a programme file may add codes before the catalogue does; a test checks the
/// shipped ones).
pub fn code_word(lang: Lang, prefix: &str, code: &str) -> String {
    let key = format!("{prefix}-{code}");
    let w = i18n::t(lang, &key);
    if w == key {
        code.to_owned()
    } else {
        w
    }
}

/// What bound the result: ineligibility, a cap, the maximum rate, or just the rate.
pub fn binding(lang: Lang, r: &RebateResult) -> String {
    if !r.eligible {
        let why = r
            .ineligibility
            .first()
            .map(|x| code_word(lang, "reason", &x.code))
            .unwrap_or_default();
        return i18n::t_with(lang, "binding-ineligible", &[("why", why)]);
    }
    if let Some(c) = r.caps.iter().filter(|c| c.bound).max_by_key(|c| c.by) {
        return i18n::t_with(
            lang,
            "binding-cap",
            &[("cap", code_word(lang, "code", &c.code))],
        );
    }
    let points: Decimal = r.uplifts.iter().map(|u| u.points).sum();
    if r.rate.get() < r.base_rate.get() + points {
        return i18n::t(lang, "binding-max-rate");
    }
    i18n::t(lang, "binding-rate")
}
