//! The programmes' pools as the ministry's desk and the commission's start page show them:
//! a line per programme, from `GET /v1/rebates/pools`.

use api_core::handlers;
use api_core::state::AppState;
use rust_decimal::Decimal;

use crate::i18n::{self, Lang};

pub struct PoolLine {
    pub programme: String,
    pub pool: String,
    pub committed: String,
    pub left: String,
}

/// The programmes with an annual pool, and what it has left.
pub fn pool_lines(s: &AppState, lang: Lang, pools: &handlers::claims::PoolsReply) -> Vec<PoolLine> {
    pools
        .programmes
        .iter()
        .filter(|x| x.pool.is_some())
        .map(|x| PoolLine {
            programme: crate::estimate::programme_label(s, lang, &x.programme),
            pool: amount(lang, &x.currency, x.pool.as_ref()),
            committed: amount(lang, &x.currency, Some(&x.committed)),
            left: amount(lang, &x.currency, x.left.as_ref()),
        })
        .collect()
}

/// An amount the API wrote as text, in its currency; a dash when there is none.
pub fn amount(lang: Lang, currency: &str, s: Option<&String>) -> String {
    match s.and_then(|x| x.parse::<Decimal>().ok()) {
        Some(d) => i18n::amount(lang, d, currency),
        None => "—".into(),
    }
}
