//! Refusals in the page's language. The rebate engine says why by a stable code with
//! parameters ([`rebate_engine::Reason`]); a page looks the code up as `engine-<code>` in the
//! kk/ru/en catalogue and names the field by its label on the form, so a producer filing in
//! Kazakh reads "Бюджет, валюта: …" and not `production.total_budget.currency: must be …`.
//! The English sentence of the JSON API is used only if a catalogue lacks a code, and a test
//! keeps that from shipping.

use rebate_engine::Reason;

use crate::i18n::{self, Lang};

/// The engine's JSON paths that the forms show under a label of their own.
const LABELS: [(&str, &str); 14] = [
    ("production.title", "est-title"),
    ("production.kind", "est-kind"),
    ("production.total_budget.amount", "est-total"),
    ("production.total_budget.currency", "est-currency"),
    ("production.registered_on", "est-registered-on"),
    ("production.completed_on", "est-completed-on"),
    ("production.shooting_days.total", "est-days-total"),
    (
        "production.shooting_days.outside_almaty_astana",
        "est-days-outside",
    ),
    ("production.applicant_country", "est-applicant-country"),
    ("days_total", "est-days-total"),
    ("days_outside", "est-days-outside"),
    ("programme", "cab-programme"),
    ("lines", "claim-lines"),
    ("budget", "est-budget"),
];

/// A field as the reader knows it: its label on the form, "spend line 3, amount" for a
/// line's column (lines count from 1, as in a spreadsheet), else the path as given.
pub fn field_words(lang: Lang, field: &str) -> String {
    let field = field.strip_prefix("claim.").unwrap_or(field);
    if let Some((_, key)) = LABELS.iter().find(|(path, _)| *path == field) {
        return i18n::t(lang, key);
    }
    // A row of an uploaded or pasted file, counted as the file shows it (`spend_file`).
    if let Some((n, tail)) = field
        .strip_prefix("row[")
        .and_then(|r| r.split_once(']'))
        .filter(|(n, _)| n.parse::<usize>().is_ok())
    {
        let row = i18n::t_with(lang, "field-row", &[("n", n.to_owned())]);
        return match tail.strip_prefix('.') {
            Some(column) => i18n::t_with(
                lang,
                "field-column",
                &[
                    ("line", row),
                    ("column", crate::words::column_word(lang, column)),
                ],
            ),
            None => row,
        };
    }
    for (list, key) in [("lines", "field-line"), ("budget", "field-budget-line")] {
        let Some(rest) = field.strip_prefix(list).and_then(|r| r.strip_prefix('[')) else {
            continue;
        };
        let Some((n, tail)) = rest.split_once(']') else {
            continue;
        };
        let Ok(n) = n.parse::<usize>() else { continue };
        let line = i18n::t_with(lang, key, &[("n", (n + 1).to_string())]);
        return match tail.strip_prefix('.') {
            Some(column) => i18n::t_with(
                lang,
                "field-column",
                &[
                    ("line", line),
                    ("column", crate::words::column_word(lang, column)),
                ],
            ),
            None => line,
        };
    }
    field.to_owned()
}

/// The reason in the reader's language; a date parameter is written as the page writes dates.
pub fn reason_words(lang: Lang, reason: &Reason) -> String {
    let params: Vec<(&str, String)> = reason
        .params()
        .into_iter()
        .map(|(k, v)| {
            if k == "date" {
                (k, i18n::iso_date(lang, &v))
            } else {
                (k, v)
            }
        })
        .collect();
    let key = format!("engine-{}", reason.code());
    let words = i18n::t_with(lang, &key, &params);
    if words == key {
        reason.to_string()
    } else {
        words
    }
}

/// "Field: reason", as every page says a refused field.
pub fn refusal(lang: Lang, field: &str, reason: String) -> String {
    i18n::t_with(
        lang,
        "error-bad-field",
        &[("field", field_words(lang, field)), ("reason", reason)],
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One of each reason (the match below stops the build when a reason is added and not
    /// listed here, so no code can ship untranslated).
    fn every_reason() -> Vec<Reason> {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let got = || "x".to_owned();
        let all = vec![
            Reason::Empty,
            Reason::NotDecimal { got: got() },
            Reason::NotWholeNumber { got: got() },
            Reason::Negative,
            Reason::NotPositive,
            Reason::TooManyDecimals,
            Reason::TooLarge { max: "1000".into() },
            Reason::NotDate { got: got() },
            Reason::NotCurrency { got: got() },
            Reason::NotCountry { got: got() },
            Reason::NotKind { got: got() },
            Reason::NotVendor { got: got() },
            Reason::NotBin {
                got: got(),
                detail: "must contain digits only".into(),
            },
            Reason::BeforeRegistered,
            Reason::MoreThanTotal,
            Reason::DuplicateId { id: "L1".into() },
            Reason::Fields {
                count: 3,
                header: "date,currency,kzt".into(),
            },
            Reason::MissingField {
                name: "title".into(),
            },
            Reason::UnknownField {
                name: "colour".into(),
                expected: "one of `id`".into(),
            },
            Reason::Malformed {
                detail: "invalid type".into(),
            },
            Reason::UnknownProgramme { id: "xx".into() },
            Reason::NoVersionInForce {
                programme: "kz".into(),
                date: day,
            },
            Reason::MissingFx {
                currency: "XAU".into(),
                date: day,
            },
            Reason::MissingIndex {
                index: "MCI".into(),
                year: 1990,
            },
            Reason::Overflow { amount: "1".into() },
        ];
        for r in &all {
            match r {
                Reason::Empty
                | Reason::NotDecimal { .. }
                | Reason::NotWholeNumber { .. }
                | Reason::Negative
                | Reason::NotPositive
                | Reason::TooManyDecimals
                | Reason::TooLarge { .. }
                | Reason::NotDate { .. }
                | Reason::NotCurrency { .. }
                | Reason::NotCountry { .. }
                | Reason::NotKind { .. }
                | Reason::NotVendor { .. }
                | Reason::NotBin { .. }
                | Reason::BeforeRegistered
                | Reason::MoreThanTotal
                | Reason::DuplicateId { .. }
                | Reason::Fields { .. }
                | Reason::MissingField { .. }
                | Reason::UnknownField { .. }
                | Reason::Malformed { .. }
                | Reason::UnknownProgramme { .. }
                | Reason::NoVersionInForce { .. }
                | Reason::MissingFx { .. }
                | Reason::MissingIndex { .. }
                | Reason::Overflow { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_reason_is_said_in_every_language_with_its_parameters() {
        let codes: std::collections::HashSet<&str> =
            every_reason().iter().map(Reason::code).collect();
        assert_eq!(codes.len(), every_reason().len(), "one code per reason");
        for lang in Lang::ALL {
            for r in every_reason() {
                let key = format!("engine-{}", r.code());
                let words = i18n::t_with(
                    lang,
                    &key,
                    &r.params()
                        .iter()
                        .map(|(k, v)| (*k, v.clone()))
                        .collect::<Vec<_>>(),
                );
                assert_ne!(words, key, "{lang:?} lacks {key}");
                for (name, value) in r.params() {
                    // The header of a table and serde's words are kept as they are; a date is
                    // written the page's way, so only its year is sure to appear.
                    let shown = if name == "date" {
                        value[..4].to_owned()
                    } else {
                        value
                    };
                    assert!(
                        reason_words(lang, &r).contains(&shown),
                        "{lang:?} {key} shows {name}: {}",
                        reason_words(lang, &r)
                    );
                }
            }
        }
    }

    #[test]
    fn fields_are_named_by_their_labels() {
        // (path, language, words expected) — the labels' words, written out here.
        let cases = [
            ("production.total_budget.currency", Lang::En, "Currency"),
            ("claim.production.completed_on", Lang::Ru, "Дата завершения"),
            ("lines[2].amount", Lang::En, "Spend line 3, Amount"),
            ("lines[0]", Lang::Kk, "1-шығыс жолы"),
            ("row[7].amount", Lang::Kk, "7-жол, Сома"),
            ("row[12]", Lang::Ru, "Строка 12"),
            ("budget[1].vendor", Lang::En, "Budget line 2, vendor"),
            ("fx[0].kzt", Lang::En, "fx[0].kzt"),
            ("lines[x].amount", Lang::En, "lines[x].amount"),
        ];
        for (path, lang, want) in cases {
            assert_eq!(field_words(lang, path), want, "{path}");
        }
    }

    #[test]
    fn a_refusal_reads_in_the_page_language() {
        let r = Reason::NotDate {
            got: "31.02.2026".into(),
        };
        assert_eq!(
            refusal(
                Lang::En,
                "production.registered_on",
                reason_words(Lang::En, &r)
            ),
            "Registered on: must be a date (YYYY-MM-DD), not “31.02.2026”"
        );
        assert!(refusal(
            Lang::Ru,
            "production.registered_on",
            reason_words(Lang::Ru, &r)
        )
        .contains("должно быть датой"));
        assert!(refusal(
            Lang::Kk,
            "production.registered_on",
            reason_words(Lang::Kk, &r)
        )
        .contains("күн"));
    }
}
