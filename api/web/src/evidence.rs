//! A signal's evidence (`api_core::signals::report::Signal::evidence`, a JSON object by
//! kind) said as a sentence of the page's language: the signals screens and the case pages
//! say it alike.

use rust_decimal::Decimal;

use crate::i18n::{self, Lang};
use api_core::signals::rules::Kind;

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

/// The evidence of a signal of `kind` as a sentence of the page's language.
pub fn sentence(lang: Lang, kind: &str, e: &serde_json::Value) -> String {
    let n = |k: &str| i18n::integer(lang, e[k].as_i64().unwrap_or(0));
    let money = |k: &str| i18n::money(lang, Decimal::new(e[k].as_i64().unwrap_or(0), 2));
    let key = format!("sig-ev-{kind}");
    let args: Vec<(&str, String)> = match Kind::parse(kind) {
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
        Some(
            k @ (Kind::RefundRateOutlier | Kind::AveragePriceOutlier | Kind::OccupancyOutlier),
        ) => {
            let pct = |k: &str| i18n::percent(lang, Decimal::new(e[k].as_i64().unwrap_or(0), 4));
            let mut args = vec![
                (
                    "region",
                    e["region"]
                        .as_str()
                        .and_then(|r| schemas::region::Region::parse(r).ok())
                        .map_or_else(|| "—".to_owned(), |r| r.name(lang.code()).to_owned()),
                ),
                ("cinemas", n("cinemas")),
                (
                    "from",
                    i18n::iso_date(lang, e["from"].as_str().unwrap_or("")),
                ),
                ("to", i18n::iso_date(lang, e["to"].as_str().unwrap_or(""))),
            ];
            args.extend(match k {
                Kind::RefundRateOutlier => vec![
                    ("rate", pct("rate_bp")),
                    ("refunds", n("refunds")),
                    ("sales", n("sales")),
                    ("median", pct("region_median_bp")),
                    ("threshold", pct("threshold_bp")),
                ],
                Kind::AveragePriceOutlier => vec![
                    ("price", money("price_tiyn")),
                    ("median", money("region_median_tiyn")),
                    ("threshold", money("threshold_tiyn")),
                ],
                _ => vec![
                    ("occupancy", pct("occupancy_bp")),
                    ("admissions", n("admissions")),
                    ("seats", n("seats")),
                    ("median", pct("region_median_bp")),
                    ("threshold", pct("threshold_bp")),
                ],
            });
            args
        }
        None => return e.to_string(),
    };
    i18n::t_with(lang, &key, &args)
}
