//! `/{lang}/producer/claim`: a producer (or a foreign applicant) files a rebate claim from a
//! form: the production's data and its spend lines as CSV. "Preview" computes it through
//! `POST /v1/claims/preview` (nothing stored) and shows the rebate with each line's fate in
//! the page's language; "File" stores it through `POST /v1/claims`. Both are the JSON API's
//! own handlers with the session's key, so the registry's word on who files (a BIN holder is
//! Kazakh, an applicant's country is the ministry's) and the rates in force are the API's.
//!
//! # Spend lines (CSV)
//! A header row naming the columns `id, category, amount, currency, paid_on, vendor_country`
//! and optionally `vendor_bin` and `resident` (`true`/`false`), in any order; comma- or
//! semicolon-separated. With semicolons a decimal comma is read as a point (as Russian Excel
//! writes `1500000,50`); grouping spaces inside an amount are dropped.

use std::collections::HashMap;
use std::time::Instant;

use askama::Template;
use serde_json::{json, Map, Value};
use warp::http::StatusCode;
use warp::reply::Response;

use crate::cabinet;
use crate::estimate::{code_word, programme_name};
use crate::i18n::{self, Lang};
use crate::page::{self, Chrome};
use crate::session::{self, Signed};
use crate::words::title_in;
use crate::words::Choice;
use api_core::handlers;
use api_core::handlers::claims::SubmitClaim;
use api_core::sessions;
use api_core::state::AppState;

/// The columns a spend line may have; the first six are required.
pub const COLUMNS: [&str; 8] = [
    "id",
    "category",
    "amount",
    "currency",
    "paid_on",
    "vendor_country",
    "vendor_bin",
    "resident",
];
const REQUIRED: usize = 6;

/// Why the form's own text cannot become a claim, before the engine reads it: a stable code
/// (`form-<code>` in the catalogues) with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormProblem {
    Days { got: String },
    NoHeader,
    UnknownColumn { at: usize, name: String },
    MissingColumn { name: String },
    Cells { got: usize, want: usize },
    NotBool { got: String },
    NoLines,
}

impl FormProblem {
    pub fn code(&self) -> &'static str {
        match self {
            FormProblem::Days { .. } => "days",
            FormProblem::NoHeader => "no_header",
            FormProblem::UnknownColumn { .. } => "unknown_column",
            FormProblem::MissingColumn { .. } => "missing_column",
            FormProblem::Cells { .. } => "cells",
            FormProblem::NotBool { .. } => "not_bool",
            FormProblem::NoLines => "no_lines",
        }
    }

    pub fn params(&self) -> Vec<(&'static str, String)> {
        match self {
            FormProblem::Days { got } | FormProblem::NotBool { got } => vec![("got", got.clone())],
            FormProblem::UnknownColumn { at, name } => vec![
                ("at", at.to_string()),
                ("name", name.clone()),
                ("columns", COLUMNS.join(", ")),
            ],
            FormProblem::MissingColumn { name } => vec![("name", name.clone())],
            FormProblem::Cells { got, want } => {
                vec![("got", got.to_string()), ("want", want.to_string())]
            }
            FormProblem::NoHeader | FormProblem::NoLines => Vec::new(),
        }
    }

    /// "Field: reason" in the page's language.
    pub fn said(&self, lang: Lang, field: &str) -> String {
        crate::reasons::refusal(
            lang,
            field,
            i18n::t_with(lang, &format!("form-{}", self.code()), &self.params()),
        )
    }
}

/// The field at fault (as the engine's paths name it) and why.
pub type FormError = (String, FormProblem);

/// The form as sent (every field text; the handler parses).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClaimForm {
    pub film_id: String,
    pub programme: String,
    pub title: String,
    pub kind: String,
    pub currency: String,
    pub total: String,
    pub registered_on: String,
    pub completed_on: String,
    pub days_total: String,
    pub days_outside: String,
    pub cultural: Vec<String>,
    pub lines: String,
}

impl ClaimForm {
    /// An empty form, on Kazakhstan's programme in tenge.
    pub fn blank() -> Self {
        ClaimForm {
            programme: "kz".into(),
            kind: "feature".into(),
            currency: "KZT".into(),
            ..Default::default()
        }
    }

    pub fn from_pairs(pairs: &[(String, String)]) -> Self {
        let mut f = ClaimForm::default();
        for (k, v) in pairs {
            let v = v.clone();
            match k.as_str() {
                "film_id" => f.film_id = v,
                "programme" => f.programme = v,
                "title" => f.title = v,
                "kind" => f.kind = v,
                "currency" => f.currency = v.to_uppercase(),
                "total" => f.total = v,
                "registered_on" => f.registered_on = v,
                "completed_on" => f.completed_on = v,
                "days_total" => f.days_total = v,
                "days_outside" => f.days_outside = v,
                "cultural" => f.cultural.push(v),
                "lines" => f.lines = v,
                _ => {}
            }
        }
        f
    }

    /// The claim as filing takes it, or the form's field that cannot be read and why.
    pub fn body(&self, today: chrono::NaiveDate) -> Result<SubmitClaim, FormError> {
        let days = |name: &str, v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| (name.to_owned(), FormProblem::Days { got: v.to_owned() }))
        };
        let production = json!({
            "title": self.title,
            "kind": self.kind,
            "total_budget": {"amount": plain_amount(&self.total, false), "currency": self.currency},
            // The registry decides (a BIN holder is KZ, an applicant its registered country).
            "applicant_country": "KZ",
            "registered_on": self.registered_on,
            "completed_on": self.completed_on,
            "shooting_days": {"total": days("days_total", &self.days_total)?, "outside_almaty_astana": days("days_outside", &self.days_outside)?},
            "cultural": self.cultural,
        });
        let claim = json!({"programme": self.programme, "as_of": today.to_string(), "production": production, "lines": spend_lines(&self.lines)?});
        let film_id = self.film_id.trim();
        Ok(SubmitClaim {
            film_id: (!film_id.is_empty()).then(|| film_id.to_owned()),
            claim,
        })
    }
}

/// An amount as the engine reads it: spaces (also no-break ones) dropped, and with
/// `decimal_comma` a comma read as the decimal point.
pub fn plain_amount(s: &str, decimal_comma: bool) -> String {
    let t: String = s
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{a0}' && *c != '\u{202f}')
        .collect();
    if decimal_comma {
        t.replace(',', ".")
    } else {
        t
    }
}

/// The spend lines of the CSV text (see the module docs), as the engine's JSON lines.
pub fn spend_lines(text: &str) -> Result<Vec<Value>, FormError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rows = text.lines().filter(|l| !l.trim().is_empty());
    let header = rows
        .next()
        .ok_or_else(|| ("lines".to_owned(), FormProblem::NoHeader))?;
    let sep = if header.contains(';') { ';' } else { ',' };
    let names: Vec<String> = header.split(sep).map(|h| h.trim().to_lowercase()).collect();
    for (i, n) in names.iter().enumerate() {
        if !COLUMNS.contains(&n.as_str()) {
            return Err((
                "lines".into(),
                FormProblem::UnknownColumn {
                    at: i + 1,
                    name: n.clone(),
                },
            ));
        }
    }
    if let Some(missing) = COLUMNS[..REQUIRED]
        .iter()
        .find(|c| !names.iter().any(|n| n == *c))
    {
        return Err((
            "lines".into(),
            FormProblem::MissingColumn {
                name: (*missing).to_owned(),
            },
        ));
    }
    let mut out = Vec::new();
    for (row, line) in rows.enumerate() {
        let cells: Vec<&str> = line.split(sep).map(str::trim).collect();
        if cells.len() != names.len() {
            return Err((
                format!("lines[{row}]"),
                FormProblem::Cells {
                    got: cells.len(),
                    want: names.len(),
                },
            ));
        }
        let mut obj = Map::new();
        for (name, cell) in names.iter().zip(&cells) {
            let v = match name.as_str() {
                "amount" => json!(plain_amount(cell, sep == ';')),
                "currency" | "vendor_country" => json!(cell.to_uppercase()),
                "vendor_bin" if cell.is_empty() => continue,
                "resident" if cell.is_empty() => continue,
                "resident" => match cell.to_lowercase().as_str() {
                    "true" | "yes" | "1" => json!(true),
                    "false" | "no" | "0" => json!(false),
                    _ => {
                        return Err((
                            format!("lines[{row}].resident"),
                            FormProblem::NotBool {
                                got: (*cell).to_owned(),
                            },
                        ))
                    }
                },
                _ => json!(cell),
            };
            obj.insert(name.clone(), v);
        }
        out.push(Value::Object(obj));
    }
    if out.is_empty() {
        return Err(("lines".into(), FormProblem::NoLines));
    }
    Ok(out)
}

pub struct LineView {
    pub id: String,
    pub category: String,
    pub amount: String,
    pub qualifying: String,
    pub reason: String,
}

pub struct PreviewView {
    pub rebate: String,
    pub eligible: bool,
    pub ineligibility: Vec<String>,
    pub lines: Vec<LineView>,
}

#[derive(Template)]
#[template(path = "claim.html")]
pub struct ClaimPage {
    pub chrome: Chrome,
    pub csrf: String,
    pub form: ClaimForm,
    pub films: Vec<Choice>,
    pub programmes: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub cultural: Vec<Choice>,
    pub columns: String,
    pub preview: Option<PreviewView>,
    pub error: Option<String>,
}

/// The result's words and figures, from the JSON a preview answers.
pub fn preview_view(lang: Lang, currency: &str, rebate: &str, result: &Value) -> PreviewView {
    let money = |v: &Value| {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .map(|d| i18n::amount(lang, d, currency))
            .unwrap_or_default()
    };
    PreviewView {
        rebate: money(&json!(rebate)),
        eligible: result["eligible"].as_bool().unwrap_or(false),
        ineligibility: result["ineligibility"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|r| code_word(lang, "reason", r["code"].as_str().unwrap_or_default()))
            .collect(),
        lines: result["lines"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|l| LineView {
                id: l["id"].as_str().unwrap_or_default().to_owned(),
                category: code_word(lang, "cat", l["category"].as_str().unwrap_or_default()),
                amount: money(&l["amount"]),
                qualifying: money(&l["qualifying"]),
                reason: code_word(lang, "reason", l["reason"].as_str().unwrap_or_default()),
            })
            .collect(),
    }
}

async fn render(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    status: StatusCode,
    form: ClaimForm,
    preview: Option<PreviewView>,
    error: Option<String>,
) -> Response {
    let p = &signed.principal;
    let registry = s.registry().await.ok();
    // The films this key may claim for: its BIN's (produced or distributed), or the ones the
    // ministry registered a foreign applicant for.
    let mut films: Vec<(String, String)> = match (&p.bin, &p.applicant, &registry) {
        (Some(bin), _, Some(r)) => r
            .films
            .iter()
            .filter(|(_, f)| f.producer_bin == bin.as_str() || f.distributor_bin == bin.as_str())
            .map(|(id, f)| (id.clone(), title_in(lang, Some(&f.title), id)))
            .collect(),
        (None, Some(a), r) => api_core::applicants::load(&s.app, a)
            .await
            .ok()
            .flatten()
            .map(|x| x.films)
            .unwrap_or_default()
            .into_iter()
            .map(|id| {
                let t = r
                    .as_ref()
                    .and_then(|r| r.films.get(&id))
                    .map(|f| title_in(lang, Some(&f.title), &id))
                    .unwrap_or_else(|| id.clone());
                (id, t)
            })
            .collect(),
        _ => Vec::new(),
    };
    films.sort_by(|a, b| a.1.cmp(&b.1));
    let choice = |value: &str, label: String, selected: bool| Choice {
        value: value.to_owned(),
        label,
        selected,
    };
    let mut film_choices = vec![choice(
        "",
        i18n::t(lang, "claim-no-film"),
        form.film_id.is_empty(),
    )];
    film_choices.extend(
        films
            .iter()
            .map(|(id, t)| choice(id, t.clone(), *id == form.film_id)),
    );
    let programmes = s
        .programmes
        .iter()
        .map(|x| choice(&x.id, programme_name(lang, x), x.id == form.programme))
        .collect();
    let kinds = ["feature", "series", "documentary", "animation"]
        .iter()
        .map(|k| choice(k, code_word(lang, "kind", k), *k == form.kind))
        .collect();
    let cultural = api_core::estimate::cultural_items(&s.programmes)
        .iter()
        .map(|c| choice(c, code_word(lang, "cultural", c), form.cultural.contains(c)))
        .collect();
    let chrome = cabinet::chrome(
        s,
        lang,
        signed,
        "claim-title",
        "producer",
        "producer/claim",
        "",
    )
    .await;
    let page = ClaimPage {
        chrome,
        csrf: signed.session.csrf.clone(),
        form,
        films: film_choices,
        programmes,
        kinds,
        cultural,
        columns: COLUMNS.join(","),
        preview,
        error,
    };
    page::html(status, lang, &page)
}

/// `GET /{lang}/producer/claim`.
pub async fn form(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let resp = render(
        s,
        lang,
        signed,
        StatusCode::OK,
        ClaimForm::blank(),
        None,
        None,
    )
    .await;
    cabinet::done(
        s,
        resp,
        &signed.principal,
        "web_claim_form",
        "/{lang}/producer/claim",
        query,
        started,
    )
}

/// `POST /{lang}/producer/claim`: `action=preview` computes, `action=file` files.
pub async fn post(s: &AppState, lang: Lang, signed: &Signed, body: &[u8]) -> Response {
    let started = Instant::now();
    let p = &signed.principal;
    let done = |resp: Response| {
        api_edge::audited(
            s,
            resp,
            p,
            "POST",
            "web_claim",
            "/{lang}/producer/claim",
            "",
            started,
            0,
        )
    };
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    let fields: HashMap<&str, &str> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    if !fields
        .get("csrf")
        .is_some_and(|c| sessions::same_token(&signed.session.csrf, c))
    {
        return done(session::forbidden(lang));
    }
    let filing = fields.get("action") == Some(&"file");
    let form = ClaimForm::from_pairs(&pairs);
    let claim = match form.body(s.today()) {
        Ok(claim) => claim,
        Err((field, problem)) => {
            return done(
                render(
                    s,
                    lang,
                    signed,
                    StatusCode::BAD_REQUEST,
                    form,
                    None,
                    Some(problem.said(lang, &field)),
                )
                .await,
            );
        }
    };
    if filing {
        return match handlers::claims::submit(s, p, claim).await {
            Ok(v) => done(session::see_other(
                &format!(
                    "/{}/producer?filed={}",
                    lang.code(),
                    crate::params::path_segment(&v.claim_id)
                ),
                Vec::new(),
            )),
            Err(e) => done(
                render(
                    s,
                    lang,
                    signed,
                    e.status(),
                    form,
                    None,
                    Some(page::message(lang, &e)),
                )
                .await,
            ),
        };
    }
    match handlers::claims::preview(s, p, claim).await {
        Ok(v) => {
            let view = preview_view(lang, &v.currency, &v.rebate, &v.result);
            done(render(s, lang, signed, StatusCode::OK, form, Some(view), None).await)
        }
        Err(e) => done(
            render(
                s,
                lang,
                signed,
                e.status(),
                form,
                None,
                Some(page::message(lang, &e)),
            )
            .await,
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spend_lines_read_comma_and_semicolon_files() {
        let comma = "id,category,amount,currency,paid_on,vendor_country,vendor_bin\nL1,construction_sets,2000000.50,kzt,2026-05-01,kz,980340001119\nL2,crew_wages,300,USD,2026-05-02,US,\n";
        let lines = spend_lines(comma).unwrap();
        assert_eq!(
            lines[0],
            json!({"id": "L1", "category": "construction_sets", "amount": "2000000.50", "currency": "KZT", "paid_on": "2026-05-01", "vendor_country": "KZ", "vendor_bin": "980340001119"})
        );
        assert_eq!(
            lines[1].get("vendor_bin"),
            None,
            "an empty optional cell is absent"
        );
        // Russian Excel: semicolons, a decimal comma, grouping spaces, a byte-order mark.
        let excel = "\u{feff}id;category;amount;currency;paid_on;vendor_country;resident\r\nL1;crew_wages;1 500 000,75;KZT;2026-05-01;KZ;да\r\n";
        assert_eq!(
            spend_lines(excel).unwrap_err(),
            (
                "lines[0].resident".to_owned(),
                FormProblem::NotBool { got: "да".into() }
            )
        );
        let excel = excel.replace(";да", ";true");
        assert_eq!(spend_lines(&excel).unwrap()[0]["amount"], "1500000.75");
        assert_eq!(spend_lines(&excel).unwrap()[0]["resident"], true);
        // (text, field named)
        let bad = [
            ("", "lines"),
            ("id,category,amount,currency,paid_on\nL1,x,1,KZT,2026-01-01", "lines"),
            ("id,category,amount,currency,paid_on,vendor_country,colour\nL1,x,1,KZT,2026-01-01,KZ,red", "lines"),
            ("id,category,amount,currency,paid_on,vendor_country\nL1,x,1,KZT,2026-01-01", "lines[0]"),
            ("id,category,amount,currency,paid_on,vendor_country\n", "lines"),
        ];
        for (text, field) in bad {
            assert_eq!(spend_lines(text).unwrap_err().0, field, "{text:?}");
        }
    }

    #[test]
    fn the_form_becomes_the_claim_the_api_takes() {
        let pairs: Vec<(String, String)> = [
            ("film_id", "F1"), ("programme", "kz"), ("title", "Steppe"), ("kind", "feature"), ("currency", "kzt"), ("total", "30 000 000 000"),
            ("registered_on", "2026-03-01"), ("completed_on", "2026-08-31"), ("days_total", "40"), ("days_outside", "25"), ("cultural", "kazakhstan_as_itself"),
            ("lines", "id,category,amount,currency,paid_on,vendor_country\nL1,construction_sets,20000000000,KZT,2026-05-01,KZ"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let body = ClaimForm::from_pairs(&pairs).body(today).unwrap();
        assert_eq!(body.film_id.as_deref(), Some("F1"));
        let body = json!({"claim": body.claim});
        assert_eq!(body["claim"]["as_of"], "2026-11-23");
        assert_eq!(
            body["claim"]["production"]["total_budget"],
            json!({"amount": "30000000000", "currency": "KZT"})
        );
        assert_eq!(
            body["claim"]["production"]["shooting_days"],
            json!({"total": 40, "outside_almaty_astana": 25})
        );
        assert_eq!(body["claim"]["lines"][0]["amount"], "20000000000");
        let mut no_days = ClaimForm::from_pairs(&pairs);
        no_days.days_total = "forty".into();
        assert_eq!(no_days.body(today).unwrap_err().0, "days_total");
    }

    /// Each of the form's own refusals reads in every language, field by its label, with
    /// what was found; the words expected are written out here, not taken from the catalogue.
    #[test]
    fn the_forms_refusals_read_in_each_language() {
        let cells = FormProblem::Cells { got: 5, want: 6 };
        assert_eq!(
            cells.said(Lang::En, "lines[3]"),
            "Spend line 4: has 5 cells where the header has 6"
        );
        assert_eq!(
            cells.said(Lang::Ru, "lines[3]"),
            "Строка расходов 4: в строке ячеек: 5, а в заголовке: 6"
        );
        assert_eq!(
            cells.said(Lang::Kk, "lines[3]"),
            "4-шығыс жолы: жолдағы ұяшықтар саны 5, ал тақырыпта 6"
        );
        let days = FormProblem::Days {
            got: "forty".into(),
        };
        assert_eq!(
            days.said(Lang::Ru, "days_total"),
            "Съёмочных дней: должно быть целым числом дней, а не «forty»"
        );
        let all = [
            days,
            FormProblem::NoHeader,
            FormProblem::UnknownColumn {
                at: 7,
                name: "colour".into(),
            },
            FormProblem::MissingColumn {
                name: "amount".into(),
            },
            cells,
            FormProblem::NotBool { got: "да".into() },
            FormProblem::NoLines,
        ];
        for lang in Lang::ALL {
            for p in &all {
                let key = format!("form-{}", p.code());
                assert_ne!(i18n::t(lang, &key), key, "{lang:?} lacks {key}");
                for (name, value) in p.params() {
                    assert!(
                        p.said(lang, "lines").contains(&value),
                        "{lang:?} {key} shows {name}"
                    );
                }
            }
        }
    }
}
