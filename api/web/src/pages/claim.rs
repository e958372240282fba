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
use serde_json::{json, Value};
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

pub use crate::spend_file::{FormError, FormProblem};

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

    /// The claim as filing takes it, with `lines` (read by `spend_file`), or the form's field
    /// that cannot be read and why.
    pub fn body(
        &self,
        today: chrono::NaiveDate,
        lines: Vec<Value>,
    ) -> Result<SubmitClaim, FormError> {
        let days = |name: &str, v: &str| {
            v.trim()
                .parse::<u32>()
                .map_err(|_| (name.to_owned(), FormProblem::Days { got: v.to_owned() }))
        };
        let production = json!({
            "title": self.title,
            "kind": self.kind,
            "total_budget": {"amount": crate::spend_file::plain_amount(&self.total, false), "currency": self.currency},
            // The registry decides (a BIN holder is KZ, an applicant its registered country).
            "applicant_country": "KZ",
            "registered_on": self.registered_on,
            "completed_on": self.completed_on,
            "shooting_days": {"total": days("days_total", &self.days_total)?, "outside_almaty_astana": days("days_outside", &self.days_outside)?},
            "cultural": self.cultural,
        });
        let claim = json!({"programme": self.programme, "as_of": today.to_string(), "production": production, "lines": lines});
        let film_id = self.film_id.trim();
        Ok(SubmitClaim {
            film_id: (!film_id.is_empty()).then(|| film_id.to_owned()),
            claim,
        })
    }
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
    /// The spend lines' columns in the page's language.
    pub columns: String,
    pub template_href: String,
    pub preview: Option<PreviewView>,
    /// Every problem found, each naming its field (a line's row and column).
    pub errors: Vec<String>,
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
    errors: Vec<String>,
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
    // Only what this ministry pays: Kazakhstan's programmes (the others are for comparing
    // estimates), and the cultural test of the one chosen.
    let ours: Vec<&rebate_engine::Programme> =
        s.programmes.iter().filter(|x| x.country == "KZ").collect();
    let chosen = ours
        .iter()
        .find(|x| x.id == form.programme)
        .or(ours.first())
        .map(|x| (*x).clone());
    let programmes = ours
        .iter()
        .map(|x| {
            let selected = chosen.as_ref().is_some_and(|c| c.id == x.id);
            choice(&x.id, programme_name(lang, x), selected)
        })
        .collect();
    let kinds = ["feature", "series", "documentary", "animation"]
        .iter()
        .map(|k| choice(k, code_word(lang, "kind", k), *k == form.kind))
        .collect();
    let cultural = api_core::estimate::cultural_items(chosen.as_slice())
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
        columns: crate::spend_file::header(lang).join(", "),
        template_href: format!("/{}/producer/claim/template.csv", lang.code()),
        preview,
        errors,
    };
    page::html(status, lang, &page)
}

/// `GET /{lang}/producer/claim` (`?programme=` chooses among Kazakhstan's programmes).
pub async fn form(s: &AppState, lang: Lang, signed: &Signed, query: &str) -> Response {
    let started = Instant::now();
    let mut blank = ClaimForm::blank();
    if let Some(p) = crate::params::form(query).get("programme") {
        blank.programme = p.clone();
    }
    let resp = render(s, lang, signed, StatusCode::OK, blank, None, Vec::new()).await;
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

/// `GET /{lang}/producer/claim/template.csv`: the spend lines' template, headed in the page's
/// language (see `spend_file::template`).
pub fn template(lang: Lang) -> Response {
    let mut resp = warp::reply::Response::new(crate::spend_file::template(lang).into());
    let h = resp.headers_mut();
    h.insert(
        warp::http::header::CONTENT_TYPE,
        warp::http::HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = format!(
        "attachment; filename=\"ekino-spend-lines-{}.csv\"",
        lang.code()
    )
    .parse()
    {
        h.insert(warp::http::header::CONTENT_DISPOSITION, v);
    }
    resp
}

/// `POST /{lang}/producer/claim` as an urlencoded form (spend lines pasted as text).
pub async fn post(s: &AppState, lang: Lang, signed: &Signed, body: &[u8]) -> Response {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).unwrap_or_default();
    post_fields(s, lang, signed, pairs, None).await
}

/// `POST /{lang}/producer/claim` as the page sends it (`multipart/form-data`): the fields, and
/// the spend lines as an uploaded CSV or XLSX file (`lines_file`) or pasted text.
pub async fn post_multipart(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    form: warp::multipart::FormData,
) -> Response {
    use bytes::BufMut as _;
    use futures::TryStreamExt as _;
    let limit = s.settings.upload_limit_bytes;
    let mut pairs = Vec::new();
    let mut file = None;
    let mut parts = form;
    loop {
        let part = match parts.try_next().await {
            Ok(Some(p)) => p,
            Ok(None) => break,
            Err(_) => {
                return page::error(
                    lang,
                    "producer/claim",
                    "",
                    &api_core::error::ApiError::PayloadTooLarge,
                )
            }
        };
        let name = part.name().to_owned();
        let mut data = part.stream();
        let mut bytes = Vec::new();
        while let Ok(Some(chunk)) = data.try_next().await {
            bytes.put(chunk);
            if bytes.len() as u64 > limit {
                return page::error(
                    lang,
                    "producer/claim",
                    "",
                    &api_core::error::ApiError::PayloadTooLarge,
                );
            }
        }
        if name == "lines_file" {
            file = Some(bytes).filter(|b| !b.is_empty());
        } else {
            pairs.push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    post_fields(s, lang, signed, pairs, file).await
}

/// `action=preview` computes, `action=file` files. Every problem of the form's own reading
/// (the spend lines' rows and columns, the days) is listed at once, before the engine.
async fn post_fields(
    s: &AppState,
    lang: Lang,
    signed: &Signed,
    pairs: Vec<(String, String)>,
    file: Option<Vec<u8>>,
) -> Response {
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
    let source = file.unwrap_or_else(|| form.lines.clone().into_bytes());
    let mut errors = Vec::new();
    let lines = match crate::spend_file::read(&source) {
        Ok(lines) => {
            errors.extend(line_problems(lang, &lines));
            lines.into_iter().map(|(_, v)| v).collect()
        }
        Err(problems) => {
            errors.extend(problems.iter().map(|(f, p)| p.said(lang, f)));
            Vec::new()
        }
    };
    let claim = match form.body(s.today(), lines) {
        Ok(claim) if errors.is_empty() => claim,
        Ok(_) => {
            return done(render(s, lang, signed, StatusCode::BAD_REQUEST, form, None, errors).await)
        }
        Err((field, problem)) => {
            errors.insert(0, problem.said(lang, &field));
            return done(
                render(s, lang, signed, StatusCode::BAD_REQUEST, form, None, errors).await,
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
                    vec![page::message(lang, &e)],
                )
                .await,
            ),
        };
    }
    match handlers::claims::preview(s, p, claim).await {
        Ok(v) => {
            let view = preview_view(lang, &v.currency, &v.rebate, &v.result);
            done(
                render(
                    s,
                    lang,
                    signed,
                    StatusCode::OK,
                    form,
                    Some(view),
                    Vec::new(),
                )
                .await,
            )
        }
        Err(e) => done(
            render(
                s,
                lang,
                signed,
                e.status(),
                form,
                None,
                vec![page::message(lang, &e)],
            )
            .await,
        ),
    }
}

/// The engine's refusals of the lines, every one (`rebate_engine::claim::line_problems`), each
/// at the row its file gave the line.
fn line_problems(lang: Lang, lines: &[(usize, Value)]) -> Vec<String> {
    let inputs: Vec<rebate_engine::claim::LineInput> = lines
        .iter()
        .filter_map(|(_, v)| serde_json::from_value(v.clone()).ok())
        .collect();
    if inputs.len() != lines.len() {
        // A line the engine's own reader refuses whole is said by filing, at its path.
        return Vec::new();
    }
    rebate_engine::claim::line_problems(&inputs)
        .iter()
        .map(|e| {
            let field = e
                .field
                .strip_prefix("lines[")
                .and_then(|r| r.split_once(']'))
                .and_then(|(i, tail)| {
                    let row = lines.get(i.parse::<usize>().ok()?)?.0;
                    Some(format!("row[{row}]{tail}"))
                })
                .unwrap_or_else(|| e.field.clone());
            crate::reasons::refusal(lang, &field, crate::reasons::reason_words(lang, &e.reason))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
        let form = ClaimForm::from_pairs(&pairs);
        let lines: Vec<Value> = crate::spend_file::read(form.lines.as_bytes())
            .unwrap()
            .into_iter()
            .map(|(_, v)| v)
            .collect();
        let body = form.body(today, lines.clone()).unwrap();
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
        assert_eq!(no_days.body(today, lines).unwrap_err().0, "days_total");
    }

    /// Each of the form's own refusals reads in every language, field by its label, with
    /// what was found; the words expected are written out here, not taken from the catalogue.
    #[test]
    fn the_forms_refusals_read_in_each_language() {
        let cells = FormProblem::Cells { got: 5, want: 6 };
        assert_eq!(
            cells.said(Lang::En, "row[4]"),
            "Row 4: has 5 cells where the header has 6"
        );
        assert_eq!(
            cells.said(Lang::Ru, "row[4]"),
            "Строка 4: в строке ячеек: 5, а в заголовке: 6"
        );
        assert_eq!(
            cells.said(Lang::Kk, "row[4]"),
            "4-жол: жолдағы ұяшықтар саны 5, ал тақырыпта 6"
        );
        let not_bool = FormProblem::NotBool {
            got: "maybe".into(),
        };
        assert_eq!(
            not_bool.said(Lang::Kk, "row[7].resident"),
            "7-жол, Резидент: «иә» немесе «жоқ» болуы керек, «maybe» емес"
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
            FormProblem::Unreadable,
        ];
        for lang in Lang::ALL {
            for p in &all {
                let key = format!("form-{}", p.code());
                assert_ne!(i18n::t(lang, &key), key, "{lang:?} lacks {key}");
                for (name, value) in p.params(lang) {
                    assert!(
                        p.said(lang, "lines").contains(&value),
                        "{lang:?} {key} shows {name}"
                    );
                }
            }
        }
    }
}
