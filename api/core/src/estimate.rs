//! The film commission's estimate as a query: the one GET form of the estimator and the
//! briefing pages (a shareable URL), and of the commission's saved estimates. It builds the
//! same `EstimateInput` as `POST /v1/rebates/estimate?compare=…` takes and calls the same
//! function (`handlers::rebates::comparison`) with the same exchange rates, on the API's
//! bounded CPU pool.
//!
//! The form: production (title, kind, currency, total budget, applicant country, dates,
//! shooting days, cultural items), then per spend category an amount paid in the host
//! country and one paid abroad (foreign vendors), and the programmes to compare. With no
//! `total` in the query the form holds the Steppe Light example
//! (`rebate-engine/examples/estimate-steppe-light.json`), dated today.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rebate_engine::estimate::{Comparison, EstimateInput};
use rebate_engine::Programme;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;
use rebate_engine::Reason;

const EXAMPLE: &str = include_str!("../../../rebate-engine/examples/estimate-steppe-light.json");

/// The programmes compared when the form names none: Kazakhstan and its neighbours and peers.
pub const DEFAULT_COMPARE: [&str; 5] = ["kz", "ge", "uz", "hu", "pl"];

pub const KINDS: [&str; 4] = ["feature", "series", "documentary", "animation"];

#[derive(Debug, Clone, Default)]
pub struct EstimateForm {
    pub title: String,
    pub kind: String,
    pub currency: String,
    pub total: String,
    pub applicant_country: String,
    pub registered_on: String,
    pub completed_on: String,
    pub as_of: String,
    pub days_total: String,
    pub days_outside: String,
    pub cultural: Vec<String>,
    /// Category → amount paid to vendors of the host country.
    pub local: BTreeMap<String, String>,
    /// Category → amount paid to foreign vendors.
    pub abroad: BTreeMap<String, String>,
    pub compare: Vec<String>,
}

impl EstimateForm {
    /// The Steppe Light example, as of `today`.
    pub fn example(today: NaiveDate) -> Self {
        let v: Value = serde_json::from_str(EXAMPLE).expect("the example is JSON");
        let p = &v["production"];
        let s = |x: &Value| x.as_str().unwrap_or_default().to_owned();
        let mut f = EstimateForm {
            title: s(&p["title"]),
            kind: s(&p["kind"]),
            currency: s(&v["currency"]),
            total: s(&p["total_budget"]["amount"]),
            applicant_country: s(&p["applicant_country"]),
            registered_on: s(&p["registered_on"]),
            completed_on: s(&p["completed_on"]),
            as_of: today.to_string(),
            days_total: p["shooting_days"]["total"].to_string(),
            days_outside: p["shooting_days"]["outside_almaty_astana"].to_string(),
            cultural: p["cultural"]
                .as_array()
                .into_iter()
                .flatten()
                .map(s)
                .collect(),
            compare: DEFAULT_COMPARE.map(str::to_owned).to_vec(),
            ..Default::default()
        };
        for b in v["budget"].as_array().into_iter().flatten() {
            let side = if b["vendor"] == "foreign" {
                &mut f.abroad
            } else {
                &mut f.local
            };
            side.insert(s(&b["category"]), s(&b["amount"]));
        }
        f
    }

    /// The form from a query: the example when it has no `total`; otherwise what it says
    /// (absent fields stay empty and the engine names them).
    pub fn from_query(q: &str, today: NaiveDate) -> Self {
        let pairs = crate::params::pairs(q);
        if !pairs.iter().any(|(k, _)| k == "total") {
            return Self::example(today);
        }
        let mut f = EstimateForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "title" => f.title = v,
                "kind" => f.kind = v,
                "currency" => f.currency = v.to_uppercase(),
                "total" => f.total = v,
                "applicant_country" => f.applicant_country = v.to_uppercase(),
                "registered_on" => f.registered_on = v,
                "completed_on" => f.completed_on = v,
                "as_of" => f.as_of = v,
                "days_total" => f.days_total = v,
                "days_outside" => f.days_outside = v,
                "cultural" => f.cultural.push(v),
                "compare" => {
                    if !f.compare.contains(&v) {
                        f.compare.push(v);
                    }
                }
                other => {
                    if let Some(c) = other.strip_prefix("local.") {
                        f.local.insert(c.to_owned(), v);
                    } else if let Some(c) = other.strip_prefix("abroad.") {
                        f.abroad.insert(c.to_owned(), v);
                    }
                }
            }
        }
        if f.as_of.is_empty() {
            f.as_of = today.to_string();
        }
        if f.compare.is_empty() {
            f.compare = DEFAULT_COMPARE.map(str::to_owned).to_vec();
        }
        f
    }

    /// The form as a query string (for the briefing's and the PDF's links).
    pub fn query(&self) -> String {
        let mut p: Vec<(String, String)> = vec![
            ("title".into(), self.title.clone()),
            ("kind".into(), self.kind.clone()),
            ("currency".into(), self.currency.clone()),
            ("total".into(), self.total.clone()),
            ("applicant_country".into(), self.applicant_country.clone()),
            ("registered_on".into(), self.registered_on.clone()),
            ("completed_on".into(), self.completed_on.clone()),
            ("as_of".into(), self.as_of.clone()),
            ("days_total".into(), self.days_total.clone()),
            ("days_outside".into(), self.days_outside.clone()),
        ];
        p.extend(self.cultural.iter().map(|c| ("cultural".into(), c.clone())));
        p.extend(
            self.local
                .iter()
                .map(|(c, a)| (format!("local.{c}"), a.clone())),
        );
        p.extend(
            self.abroad
                .iter()
                .map(|(c, a)| (format!("abroad.{c}"), a.clone())),
        );
        p.extend(self.compare.iter().map(|c| ("compare".into(), c.clone())));
        p.retain(|(_, v)| !v.is_empty());
        serde_urlencoded::to_string(&p).unwrap_or_default()
    }

    /// The engine's input, through the JSON API's own parser (so a page names the same
    /// field and reason as the API would).
    pub fn input(&self) -> Result<EstimateInput, ApiError> {
        let days = |field: &str, v: &str| -> Result<Value, ApiError> {
            if v.is_empty() {
                return Ok(json!(0));
            }
            v.parse::<u32>()
                .map(|n| json!(n))
                .map_err(|_| ApiError::Invalid {
                    field: field.to_owned(),
                    reason: Reason::NotWholeNumber { got: v.to_owned() },
                })
        };
        let mut budget = Vec::new();
        for (side, vendor) in [(&self.local, "local"), (&self.abroad, "foreign")] {
            for (category, amount) in side {
                budget.push(json!({"category": category, "amount": amount, "vendor": vendor}));
            }
        }
        if budget.is_empty() {
            return Err(ApiError::Invalid {
                field: "budget".into(),
                reason: Reason::Empty,
            });
        }
        let shooting = if self.days_total.is_empty() && self.days_outside.is_empty() {
            Value::Null
        } else {
            json!({"total": days("days_total", &self.days_total)?, "outside_almaty_astana": days("days_outside", &self.days_outside)?})
        };
        let v = json!({
            "as_of": self.as_of,
            "currency": self.currency,
            "production": {
                "title": self.title,
                "kind": self.kind,
                "total_budget": {"amount": self.total, "currency": self.currency},
                "applicant_country": self.applicant_country,
                "registered_on": self.registered_on,
                "completed_on": self.completed_on,
                "shooting_days": shooting,
                "cultural": self.cultural,
            },
            "budget": budget,
        });
        rebate_engine::claim::from_json(&v.to_string()).map_err(ApiError::from)
    }
}

/// What the pages need of one computation.
pub struct Estimated {
    pub form: EstimateForm,
    pub comparison: Comparison,
    pub fx_source: &'static str,
    /// `1 <currency> = x <comparison currency>` on the spend date, for each other currency.
    pub fx_used: Vec<(String, Decimal)>,
    /// MCI of the estimate's year (year, value, the year it was published for: an earlier
    /// one when the year's is not published yet and the latest stands in).
    pub mci: Option<(i32, Decimal, i32)>,
    /// The newest exchange-rate date, when the spend date is past it (the latest rates are
    /// used for it, and the page says so).
    pub fx_latest: Option<NaiveDate>,
}

/// The comparison for a form, with the API's exchange rates, on the CPU pool.
pub async fn compute(
    s: &std::sync::Arc<AppState>,
    form: EstimateForm,
) -> Result<Estimated, ApiError> {
    let input = form.input()?;
    let (fx, source) = s.estimate_fx.get(&s.app, &s.fx).await?;
    let shared = s.clone();
    let list = form.compare.join(",");
    let fx2 = fx.clone();
    let comparison = s
        .guards
        .cpu
        .run(move || crate::handlers::rebates::comparison(&shared, &list, &input, &fx2))
        .await??;
    let on = NaiveDate::parse_from_str(&form.registered_on, "%Y-%m-%d").ok();
    let to = comparison.currency.clone();
    let mut fx_used = Vec::new();
    if let Some(on) = on {
        let mut seen: Vec<String> = Vec::new();
        for p in s.programmes.iter().filter(|p| form.compare.contains(&p.id)) {
            if p.currency != to && !seen.contains(&p.currency.to_string()) {
                seen.push(p.currency.to_string());
                if let Ok(r) = fx
                    .kzt_per_unit(&p.currency, on)
                    .and_then(|a| fx.kzt_per_unit(&to, on).map(|b| a / b))
                {
                    fx_used.push((p.currency.to_string(), r.round_dp(6).normalize()));
                }
            }
        }
    }
    let as_of = NaiveDate::parse_from_str(&form.as_of, "%Y-%m-%d").ok();
    let mci = as_of.and_then(|d| {
        let year = chrono::Datelike::year(&d);
        match comparison
            .index_carried_forward
            .iter()
            .find(|c| c.index == "MCI")
        {
            Some(c) => Some((year, c.value, c.from_year)),
            None => s.index.value("MCI", d).ok().map(|v| (year, v, year)),
        }
    });
    let fx_latest = on
        .zip(fx.latest_date())
        .filter(|(on, latest)| on > latest)
        .map(|(_, latest)| latest);
    Ok(Estimated {
        form,
        comparison,
        fx_source: source.as_str(),
        fx_used,
        mci,
        fx_latest,
    })
}

/// The spend categories a form offers: Kazakhstan's programme's, qualifying then excluded.
pub fn categories(programmes: &[Programme]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in programmes
        .iter()
        .filter(|p| p.id == "kz")
        .chain(programmes.iter().filter(|p| p.id != "kz"))
    {
        if let Some(v) = p.versions.last() {
            for c in v.categories.qualifying.iter().chain(&v.categories.excluded) {
                if !out.contains(c) {
                    out.push(c.clone());
                }
            }
        }
    }
    out
}

/// The cultural items any programme counts, in programme order.
pub fn cultural_items(programmes: &[Programme]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in programmes
        .iter()
        .filter(|p| p.id == "kz")
        .chain(programmes.iter().filter(|p| p.id != "kz"))
    {
        for v in p.versions.iter().rev().take(1) {
            for u in &v.uplifts {
                let items: &[String] = match u {
                    rebate_engine::programme::Uplift::Cultural { any_of, .. } => any_of,
                    rebate_engine::programme::Uplift::Checklist { items, .. } => items,
                    rebate_engine::programme::Uplift::ShootingDaysOutside { .. } => &[],
                };
                for i in items {
                    if !out.contains(i) {
                        out.push(i.clone());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn an_empty_query_is_the_steppe_light_example_and_a_query_round_trips() {
        let f = EstimateForm::from_query("", today());
        assert_eq!(
            (f.title.as_str(), f.total.as_str(), f.currency.as_str()),
            ("Steppe Light", "3000000", "USD")
        );
        assert_eq!(
            f.local.get("crew_wages").map(String::as_str),
            Some("700000")
        );
        assert_eq!(
            f.abroad.get("cast_foreign").map(String::as_str),
            Some("400000")
        );
        assert_eq!(f.compare, ["kz", "ge", "uz", "hu", "pl"]);
        assert_eq!(f.as_of, "2026-11-23");
        let again = EstimateForm::from_query(&f.query(), today());
        assert_eq!(again.query(), f.query());
        assert_eq!(again.cultural, ["kazakhstan_as_itself"]);
        // The input is what the example file says, amounts and vendors included.
        let input = again.input().unwrap();
        assert_eq!(input.budget.len(), 9);
        assert_eq!(
            input
                .budget
                .iter()
                .filter(|b| b.vendor.as_deref() == Some("foreign"))
                .count(),
            2
        );
    }

    #[test]
    fn a_bad_field_is_named() {
        let q = "total=100&currency=USD&kind=feature&title=X&applicant_country=US&registered_on=2026-03-01&completed_on=2026-08-31&local.crew_wages=1&days_total=x";
        let e = EstimateForm::from_query(q, today()).input().unwrap_err();
        assert!(
            matches!(&e, ApiError::Invalid { field, reason: Reason::NotWholeNumber { .. } } if field == "days_total"),
            "{e:?}"
        );
        let q = "total=100&currency=USD&kind=feature&title=X&applicant_country=US&registered_on=2026-03-01&completed_on=2026-08-31";
        let e = EstimateForm::from_query(q, today()).input().unwrap_err();
        assert!(
            matches!(&e, ApiError::Invalid { field, reason: Reason::Empty } if field == "budget"),
            "{e:?}"
        );
    }
}
