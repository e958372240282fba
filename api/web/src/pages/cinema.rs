//! `/{lang}/cinema`: a cinema's reporting cabinet. Its figures are the JSON API's:
//! the card of `/v1/cinemas/{bin}/reporting` (with the national medians), the rejected
//! events of `/v1/cinemas/{bin}/rejected`, the reconciliation flags of
//! `/v1/cinemas/{bin}/flags`, and the day statuses the chart uses.
//!
//! A rejected event is shown with its reason in the page's language (`reject-<code>`), what
//! to do about it (`reject-<code>-fix`), the field named, and the payload as it arrived
//! (escaped by the template: tenant text).

use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::reject_words;
use crate::words::status_words;
use api_core::handlers;
use api_core::params::{PageQuery, RangeQuery};
use api_core::state::AppState;

/// Rejected events listed on the home page (the newest).
pub const REJECTS_SHOWN: u64 = 20;

pub struct Fact {
    pub id: &'static str,
    pub label: String,
    pub value: String,
    /// The national median beside it, when there is one.
    pub national: Option<String>,
}

pub struct ReasonCount {
    pub code: String,
    pub reason: String,
    pub fix: String,
    pub count: String,
}

/// A reconciliation flag of one day and film, in the page's language.
pub struct FlagLine {
    pub day: String,
    pub code: String,
    pub flag: String,
    pub fix: String,
    pub film: String,
    pub count: String,
}

pub struct Reject {
    pub received: String,
    pub reason: String,
    pub fix: String,
    pub field: String,
    pub payload: String,
    /// The payload's first [`PAYLOAD_HEAD`] characters when it is longer (then the whole of it
    /// is folded under "show all"), else empty.
    pub payload_head: String,
    pub upload_id: String,
}

/// How much of a rejected payload the cabinet shows before "show all": a line or two of an
/// event, so one oversized payload cannot make the page thousands of pixels tall.
pub const PAYLOAD_HEAD: usize = 300;

/// A payload's head when it is longer than [`PAYLOAD_HEAD`] characters, else empty (shown whole).
pub fn head_of(payload: &str) -> String {
    if payload.chars().count() > PAYLOAD_HEAD {
        payload.chars().take(PAYLOAD_HEAD).collect()
    } else {
        String::new()
    }
}

#[derive(Template)]
#[template(path = "cinema.html")]
pub struct CinemaPage {
    pub chrome: Chrome,
    pub from: String,
    pub to: String,
    pub status: Vec<Fact>,
    pub facts: Vec<Fact>,
    pub reasons: Vec<ReasonCount>,
    pub flags: Vec<FlagLine>,
    pub rejects: Vec<Reject>,
    /// Its halls as registered (hall key, name, seats): what the seat rules use.
    pub halls: Vec<(String, String, String)>,
}

fn rate(lang: Lang, r: Option<&String>) -> String {
    r.and_then(|x| x.parse::<Decimal>().ok())
        .map(|d| i18n::percent(lang, d))
        .unwrap_or_else(|| "—".into())
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    let bin = p.bin.as_ref().map(|b| b.to_string()).unwrap_or_default();
    let fail = |e: &api_core::error::ApiError| {
        cabinet::done(
            s,
            page::error(lang, "cinema", query, e),
            p,
            "web_cinema",
            "/{lang}/cinema",
            query,
            started,
        )
    };
    let card = match handlers::cinemas::reporting(
        s,
        p,
        bin.clone(),
        RangeQuery {
            from: from.clone(),
            to: to.clone(),
        },
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let flags = match handlers::cinemas::flags(
        s,
        p,
        bin.clone(),
        RangeQuery {
            from: from.clone(),
            to: to.clone(),
        },
    )
    .await
    {
        Ok(f) => f,
        Err(e) => return fail(&e),
    };
    let rejected = handlers::cinemas::rejected(
        s,
        p,
        bin.clone(),
        PageQuery {
            page: Some(1),
            page_size: Some(REJECTS_SHOWN),
        },
    )
    .await;
    let today = s.today();
    let yesterday = today.pred_opt().unwrap_or(today);
    let statuses = s.statuses(yesterday, today).await;
    let (rejected, statuses) = match (rejected, statuses) {
        (Ok(r), Ok(st)) => (r, st),
        (Err(e), _) => return fail(&e),
        (_, Err(e)) => return fail(&e.into()),
    };
    let day_status = |d: chrono::NaiveDate| {
        status_words(
            lang,
            statuses.cinema_day(schemas::time::days_since_epoch(d), &bin),
            d == today,
        )
        .0
    };
    let status = vec![
        Fact {
            id: "last-event",
            label: i18n::t(lang, "cab-last-event"),
            value: card
                .last_event_at
                .as_deref()
                .map(|t| i18n::timestamp(lang, t))
                .unwrap_or_else(|| i18n::t(lang, "cab-never")),
            national: None,
        },
        Fact {
            id: "silent-days",
            label: i18n::t(lang, "cab-silent-days"),
            value: card
                .silent_days
                .map(|d| i18n::count(lang, d.unsigned_abs()))
                .unwrap_or_else(|| "—".into()),
            national: None,
        },
        Fact {
            id: "today",
            label: format!(
                "{} ({})",
                i18n::t(lang, "cab-today"),
                i18n::date(lang, today)
            ),
            value: day_status(today),
            national: None,
        },
        Fact {
            id: "yesterday",
            label: format!(
                "{} ({})",
                i18n::t(lang, "cab-yesterday"),
                i18n::date(lang, yesterday)
            ),
            value: day_status(yesterday),
            national: None,
        },
    ];
    let national =
        |v: Option<String>| v.map(|x| i18n::t_with(lang, "cab-national-median", &[("value", x)]));
    let facts = vec![
        Fact {
            id: "events",
            label: i18n::t(lang, "cab-events"),
            value: i18n::count(lang, card.events),
            national: national(
                card.national_median_events
                    .as_ref()
                    .and_then(|m| m.parse::<Decimal>().ok())
                    .map(|d| i18n::number(lang, d, if d.fract().is_zero() { 0 } else { 1 })),
            ),
        },
        Fact {
            id: "sales",
            label: i18n::t(lang, "cab-sales"),
            value: i18n::count(lang, card.sales),
            national: None,
        },
        Fact {
            id: "refunds",
            label: i18n::t(lang, "cab-refunds"),
            value: i18n::count(lang, card.refunds),
            national: None,
        },
        Fact {
            id: "refund-rate",
            label: i18n::t(lang, "cab-refund-rate"),
            value: rate(lang, card.refund_rate.as_ref()),
            national: national(
                card.national_median_refund_rate
                    .as_ref()
                    .map(|r| rate(lang, Some(r))),
            ),
        },
        Fact {
            id: "rejected",
            label: i18n::t(lang, "cab-rejected"),
            value: i18n::count(lang, card.rejected_total),
            national: None,
        },
        Fact {
            id: "unknown-film",
            label: i18n::t(lang, "cab-unknown-film"),
            value: i18n::count(lang, card.unknown_film_events),
            national: None,
        },
        Fact {
            id: "vat-mismatch",
            label: i18n::t(lang, "cab-vat-mismatch"),
            value: i18n::count(lang, card.vat_mismatch_sales),
            national: None,
        },
        Fact {
            id: "refunds-pending",
            label: i18n::t(lang, "cab-refunds-pending"),
            value: i18n::count(lang, card.refunds_pending),
            national: None,
        },
    ];
    let registry = match s.registry().await {
        Ok(r) => r,
        Err(e) => return fail(&e.into()),
    };
    let halls = match api_core::signals::report::halls_of(&s.ch, &s.app_db, &bin).await {
        Ok(h) => h
            .into_iter()
            .map(|h| (h.hall, h.name, i18n::integer(lang, i64::from(h.seats))))
            .collect(),
        Err(e) => return fail(&e.into()),
    };
    let flags = flags
        .rows
        .into_iter()
        .map(|f| FlagLine {
            day: f
                .day
                .parse()
                .map(|d| i18n::date(lang, d))
                .unwrap_or_else(|_| f.day.clone()),
            flag: i18n::t(lang, &format!("flag-{}", f.flag)),
            fix: i18n::t(lang, &format!("flag-{}-fix", f.flag)),
            film: crate::words::title_in(
                lang,
                registry.films.get(&f.film_id).map(|x| &x.title),
                &f.film_id,
            ),
            code: f.flag,
            count: i18n::count(lang, f.events),
        })
        .collect();
    let reasons = card
        .rejected_by_reason
        .iter()
        .map(|(code, n)| {
            let (reason, fix) = reject_words(lang, code);
            ReasonCount {
                code: code.clone(),
                reason,
                fix,
                count: i18n::count(lang, *n),
            }
        })
        .collect();
    let rejects = rejected
        .rows
        .into_iter()
        .map(|r| {
            let (reason, fix) = reject_words(lang, &r.reason);
            let received = chrono::DateTime::from_timestamp(i64::from(r.received_at), 0)
                .map(|t| i18n::timestamp(lang, &t.to_rfc3339()))
                .unwrap_or_default();
            Reject {
                received,
                reason,
                fix,
                field: r.field,
                payload_head: head_of(&r.payload),
                payload: r.payload,
                upload_id: r.upload_id,
            }
        })
        .collect();
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "cab-cinema-title",
        "cinema",
        "cinema",
        query,
    )
    .await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &CinemaPage {
            chrome,
            from,
            to,
            status,
            facts,
            reasons,
            flags,
            rejects,
            halls,
        },
    );
    cabinet::done(s, html, p, "web_cinema", "/{lang}/cinema", query, started)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_payload_is_folded_after_its_head_and_a_short_one_is_not() {
        assert_eq!(
            head_of(&"я".repeat(300)),
            "",
            "300 characters are shown whole"
        );
        let long = format!("{}{}", "қ".repeat(300), "tail");
        let head = head_of(&long);
        assert_eq!(head.chars().count(), 300);
        assert!(
            head.chars().all(|c| c == 'қ'),
            "cut on characters, not bytes"
        );
    }
}
