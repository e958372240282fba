//! `/{lang}/ministry/signals` (every cinema) and `/{lang}/cinema/signals` (one's own): where a
//! cinema's figures cannot be true, filtered by a GET form (a shareable URL): days, kind, and
//! for the ministry a cinema. The rows are `GET /v1/signals`'s (or the cinema's route's) for
//! the same filters; each signal's evidence is said in the page's language.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use rust_decimal::Decimal;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::Signed;
use crate::words::title_in;
use api_core::auth::Role;
use api_core::handlers::signals::{self, CinemaSignalsQuery, SignalsQuery};
use api_core::signals::report::Signal;
use api_core::signals::rules::Kind;
use api_core::state::AppState;

pub struct Line {
    pub day: String,
    pub cinema: String,
    pub kind: String,
    pub kind_code: &'static str,
    pub session: String,
    pub hall: String,
    pub evidence: String,
    pub at_stake: String,
    pub first_seen: String,
}

#[derive(Template)]
#[template(path = "signals.html")]
pub struct SignalsPage {
    pub chrome: Chrome,
    pub form: HashMap<String, String>,
    /// The ministry's page (a cinema filter, a cinema column).
    pub all: bool,
    pub home: &'static str,
    pub kinds: Vec<(&'static str, String)>,
    pub lines: Vec<Line>,
    pub total: u64,
    pub at_stake: String,
}

impl SignalsPage {
    pub fn value(&self, name: &str) -> &str {
        self.form.get(name).map_or("", String::as_str)
    }

    pub fn chosen(&self, name: &str, v: &str) -> bool {
        self.value(name) == v
    }
}

/// A local time (UTC+5) of seconds since the epoch, as `HH:MM`.
fn hhmm(v: &serde_json::Value) -> String {
    v.as_i64()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map(|t| {
            t.with_timezone(&schemas::time::kz_offset())
                .format("%H:%M")
                .to_string()
        })
        .unwrap_or_else(|| "—".into())
}

/// The evidence of a signal as a sentence of the page's language.
fn evidence(lang: Lang, s: &Signal) -> String {
    let e = &s.evidence;
    let n = |k: &str| i18n::integer(lang, e[k].as_i64().unwrap_or(0));
    let money = |k: &str| i18n::money(lang, Decimal::new(e[k].as_i64().unwrap_or(0), 2));
    let key = format!("sig-ev-{}", s.kind);
    let args: Vec<(&str, String)> = match Kind::parse(&s.kind) {
        Some(Kind::OverCapacity) => vec![("admissions", n("admissions")), ("seats", n("seats"))],
        Some(Kind::SeatSoldTwice) => {
            let seats: Vec<String> = e["seats"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| {
                            i18n::t_with(
                                lang,
                                "sig-seat",
                                &[
                                    ("row", s["row"].as_str().unwrap_or("").to_owned()),
                                    ("number", s["number"].as_str().unwrap_or("").to_owned()),
                                    ("count", s["count"].to_string()),
                                ],
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            vec![("n", n("seats_counted_twice")), ("seats", seats.join(", "))]
        }
        Some(Kind::UndeclaredSession) => vec![
            ("admissions", n("admissions")),
            ("starts", hhmm(&e["show_start"])),
            (
                "late",
                if e["declared_late_at"].is_null() {
                    i18n::t(lang, "sig-never")
                } else {
                    hhmm(&e["declared_late_at"])
                },
            ),
        ],
        Some(Kind::CancelledSessionSold) => vec![("admissions", n("admissions"))],
        Some(Kind::OverlappingSessions) => vec![
            (
                "other",
                e["other_screening_id"].as_str().unwrap_or("").to_owned(),
            ),
            ("start", hhmm(&e["show_start"])),
            ("end", hhmm(&e["ends_at"])),
            ("other_start", hhmm(&e["other_show_start"])),
            ("other_end", hhmm(&e["other_ends_at"])),
        ],
        Some(Kind::LateNightFull) => vec![
            ("starts", e["starts"].as_str().unwrap_or("").to_owned()),
            ("admissions", n("admissions")),
            ("seats", n("seats")),
        ],
        Some(Kind::PartnerGap) => vec![
            ("tickets", n("partner_tickets")),
            ("gross", money("partner_gross_tiyn")),
            ("reported", n("reported_partner_admissions")),
            (
                "partners",
                e["partners"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|p| p.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default(),
            ),
        ],
        Some(Kind::HeadCountGap) => vec![
            ("counted", n("head_count")),
            ("admissions", n("admissions")),
        ],
        None => return e.to_string(),
    };
    i18n::t_with(lang, &key, &args)
}

pub async fn page(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let all = p.role == Role::Ministry;
    let (home, route, path) = if all {
        ("ministry", "web_signals", "/{lang}/ministry/signals")
    } else {
        ("cinema", "web_cinema_signals", "/{lang}/cinema/signals")
    };
    let rest = format!("{home}/signals");
    let mut form = crate::params::form(query);
    let (from, to) = cabinet::range(&form, s.today());
    form.insert("from".into(), from.clone());
    form.insert("to".into(), to.clone());
    let get = |k: &str| {
        form.get(k)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let reply = if all {
        signals::all(
            s,
            p,
            SignalsQuery {
                from,
                to,
                cinema: get("cinema"),
                kind: get("kind"),
            },
        )
        .await
    } else {
        let bin = p.bin.as_ref().map(ToString::to_string).unwrap_or_default();
        signals::of_cinema(
            s,
            p,
            bin,
            CinemaSignalsQuery {
                from,
                to,
                kind: get("kind"),
            },
        )
        .await
    };
    let reply = match reply {
        Ok(r) => r,
        Err(e) => {
            return cabinet::done(
                s,
                page::error(lang, &rest, query, &e),
                p,
                route,
                path,
                query,
                started,
            )
        }
    };
    let registry = s.registry().await.ok();
    let at_stake: i64 = reply.signals.iter().map(|g| g.gross_at_stake.tiyn()).sum();
    let lines = reply
        .signals
        .iter()
        .map(|g| {
            let kind = Kind::parse(&g.kind);
            Line {
                day: i18n::date(lang, g.day),
                cinema: registry.as_ref().map_or(g.cinema_bin.clone(), |r| {
                    title_in(lang, r.cinema_names.get(&g.cinema_bin), &g.cinema_bin)
                }),
                kind: i18n::t(lang, &format!("sig-kind-{}", g.kind)),
                kind_code: kind.map_or("", Kind::code),
                session: g.screening_id.clone(),
                hall: crate::words::hall_in(lang, &g.hall),
                evidence: evidence(lang, g),
                at_stake: if g.gross_at_stake.tiyn() == 0 {
                    "—".into()
                } else {
                    i18n::money(lang, g.gross_at_stake.to_decimal())
                },
                first_seen: i18n::timestamp(lang, &g.first_seen),
            }
        })
        .collect();
    let kinds = Kind::ALL
        .iter()
        .map(|k| (k.code(), i18n::t(lang, &format!("sig-kind-{}", k.code()))))
        .collect();
    let chrome = cabinet::chrome(s, lang, signed, "sig-title", home, &rest, query).await;
    let html = page::html(
        StatusCode::OK,
        lang,
        &SignalsPage {
            chrome,
            form,
            all,
            home,
            kinds,
            lines,
            total: reply.total,
            at_stake: i18n::money(lang, Decimal::new(at_stake, 2)),
        },
    );
    cabinet::done(s, html, p, route, path, query, started)
}
