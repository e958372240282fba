//! `POST /{lang}/ministry/claims/{id}/decision`: the claim page's forms (approve, reject with
//! a reason, mark paid; see `claim_page`: they are nowhere else). A refusal comes back to that
//! page, a decision taken goes back to the desk with its notice. The decision goes through the JSON API's own handler
//! (`POST /v1/claims/{id}/decision`), so it is queued to the one decider and checked against
//! the pool and the beneficiary cap exactly as there.
//!
//! Before an approval the page checks the programme's pool with the figures it shows (the
//! claim's rebate, what the pool has left this year), so the refusal is said in the page's
//! language; the decider checks again with the rebate recomputed at approval, and its refusal
//! (in English, as the API gives it) is shown when only it finds one.

use std::collections::HashMap;
use std::time::Instant;

use rust_decimal::Decimal;
use warp::reply::Response;

use super as claim_page;
use crate::i18n::{self, Lang};
use crate::session::{self, Signed};
use api_core::claims::Decision;
use api_core::handlers;
use api_core::sessions;
use api_core::state::AppState;

/// Why the page refuses before asking the decider, in the page's language.
pub fn pool_refusal(lang: Lang, currency: &str, left: Decimal, rebate: Decimal) -> Option<String> {
    (rebate > left).then(|| {
        let amount = |d: Decimal| i18n::amount(lang, d, currency);
        i18n::t_with(
            lang,
            "cab-pool-overdrawn",
            &[
                ("left", amount(left)),
                ("rebate", amount(rebate)),
                ("short", amount(rebate - left)),
            ],
        )
    })
}

pub async fn decide(s: &AppState, lang: Lang, signed: &Signed, id: &str, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let path = "/{lang}/ministry/claims/{id}/decision";
    let done = |resp: Response| {
        api_edge::audited(s, resp, p, "POST", "web_decision", path, "", started, 0)
    };
    let form: HashMap<String, String> = serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect();
    if !form
        .get("csrf")
        .is_some_and(|c| sessions::same_token(&signed.session.csrf, c))
    {
        return done(session::forbidden(lang));
    }
    // The claim's page again (where the forms are), with the refusal in the reader's words.
    let refused = |key: &'static str| async move {
        done(claim_page::render(s, lang, signed, id, Some(i18n::t(lang, key))).await)
    };
    let decision = match form.get("decision").map(String::as_str) {
        Some("approve") => Decision::Approve,
        Some("reject") => Decision::Reject,
        Some("mark_paid") => Decision::MarkPaid,
        _ => return refused("cab-decision-unknown").await,
    };
    let reason = form
        .get("reason")
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    if decision == Decision::Reject && reason.is_none() {
        return refused("cab-reason-required").await;
    }
    if decision == Decision::Approve {
        let claim = match handlers::claims::get(s, p, id.to_owned()).await {
            Ok(c) => c,
            Err(e) => return done(crate::page::error(lang, "ministry", "", &e)),
        };
        let year = u16::try_from(chrono::Datelike::year(&s.today())).unwrap_or(2026);
        let pools = match handlers::claims::pools(s, p, handlers::claims::PoolsQuery { year }).await
        {
            Ok(x) => x,
            Err(e) => return done(crate::page::error(lang, "ministry", "", &e)),
        };
        let left = pools
            .programmes
            .iter()
            .find(|x| x.programme == claim.programme)
            .and_then(|x| x.left.as_ref())
            .and_then(|l| l.parse::<Decimal>().ok());
        if let (Some(left), Ok(rebate)) = (left, claim.rebate.parse::<Decimal>()) {
            if let Some(why) = pool_refusal(lang, &claim.currency, left, rebate) {
                return done(claim_page::render(s, lang, signed, id, Some(why)).await);
            }
        }
    }
    let decided = handlers::claims::DecisionBody {
        decision,
        reason,
        as_of: None,
    };
    match handlers::claims::decide(s, p, id.to_owned(), decided).await {
        Ok(_) => done(session::see_other(
            &format!(
                "/{}/ministry?decided={}#queue-heading",
                lang.code(),
                crate::params::path_segment(id)
            ),
            Vec::new(),
        )),
        Err(e) => {
            let why = i18n::t_with(
                lang,
                "cab-decision-refused",
                &[("reason", crate::page::message(lang, &e))],
            );
            done(claim_page::render(s, lang, signed, id, Some(why)).await)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn an_approval_past_the_pool_is_refused_with_the_figures() {
        assert_eq!(
            pool_refusal(Lang::En, "KZT", dec!(100), dec!(100)),
            None,
            "exactly what is left fits"
        );
        let why = pool_refusal(Lang::En, "KZT", dec!(100), dec!(250.5)).unwrap();
        assert!(
            why.contains("₸100.00") && why.contains("₸250.50") && why.contains("₸150.50"),
            "{why}"
        );
        let why = pool_refusal(Lang::Ru, "KZT", dec!(1000), dec!(1500)).unwrap();
        assert!(
            why.contains("1\u{a0}000,00\u{a0}₸") && why.contains("500,00\u{a0}₸"),
            "{why}"
        );
    }
}
