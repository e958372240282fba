//! A rebate programme as data: one TOML file per programme under `programmes/`, with
//! versions valid from `effective_from` to `effective_to` so that a claim is judged by the
//! rules in force on its date. Every rule kind the engine knows is an enum variant here;
//! a file that names anything else is refused when it is loaded.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::EngineError;
use crate::money::{Currency, Rate};

/// Production kinds a claim may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Feature,
    Series,
    Documentary,
    Animation,
}

impl Kind {
    pub fn parse(s: &str) -> Option<Kind> {
        match s {
            "feature" => Some(Kind::Feature),
            "series" => Some(Kind::Series),
            "documentary" => Some(Kind::Documentary),
            "animation" => Some(Kind::Animation),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Programme {
    pub id: String,
    /// The name in English.
    pub name: String,
    /// The name in Kazakh (Cyrillic) and Russian, for the public pages.
    #[serde(default)]
    pub name_kk: Option<String>,
    #[serde(default)]
    pub name_ru: Option<String>,
    /// Whether a translator has reviewed the kk and ru texts; pages mark them until then.
    #[serde(default)]
    pub translation_reviewed: bool,
    pub country: String,
    pub currency: Currency,
    pub versions: Vec<Version>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Version {
    pub version: String,
    pub effective_from: NaiveDate,
    #[serde(default)]
    pub effective_to: Option<NaiveDate>,
    /// Where the rules come from, and the date of that text.
    pub source: String,
    /// `source` in Kazakh and Russian; pages fall back to English when absent.
    #[serde(default)]
    pub source_kk: Option<String>,
    #[serde(default)]
    pub source_ru: Option<String>,
    pub rules_date: NaiveDate,
    #[serde(default)]
    pub notes: Vec<String>,
    /// `notes` in Kazakh and Russian (same order); pages fall back to English when absent.
    #[serde(default)]
    pub notes_kk: Vec<String>,
    #[serde(default)]
    pub notes_ru: Vec<String>,
    #[serde(default)]
    pub applicant_must_be_foreign: bool,
    #[serde(default)]
    pub kinds: Option<Vec<Kind>>,
    pub categories: Categories,
    #[serde(default)]
    pub vendors: VendorRule,
    /// Spend qualifies only when paid between `registered_on` and `completed_on`.
    #[serde(default)]
    pub spend_window: bool,
    #[serde(default)]
    pub minimum: Option<Minimum>,
    pub rate: RateRule,
    #[serde(default)]
    pub uplifts: Vec<Uplift>,
    #[serde(default)]
    pub max_rate: Option<Rate>,
    #[serde(default)]
    pub base_caps: Vec<BaseCap>,
    #[serde(default)]
    pub rebate_caps: Vec<RebateCap>,
    /// Annual funding pool by year, first come first served (enforced where claims are approved).
    #[serde(default)]
    pub annual_pool: BTreeMap<String, Decimal>,
    /// The most one beneficiary (an applicant's BIN or foreign registration) may be approved
    /// within one year, over all its claims (enforced where claims are approved).
    #[serde(default)]
    pub beneficiary_annual_cap: Option<Decimal>,
    /// When the credit is taxable, the tax rate applied to it (the net is what the producer gets).
    #[serde(default)]
    pub credit_tax_rate: Option<Rate>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Categories {
    pub qualifying: Vec<String>,
    /// Never qualifying; each carries its own reason code `excluded_category`.
    #[serde(default)]
    pub excluded: Vec<String>,
    /// Qualifying only for resident individuals (e.g. crew wages in Kazakhstan).
    #[serde(default)]
    pub resident_only: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct VendorRule {
    /// Spend with foreign vendors qualifies (subject to caps) instead of being excluded.
    #[serde(default)]
    pub foreign_allowed: bool,
    /// Categories where foreign vendors are allowed even when `foreign_allowed` is false.
    #[serde(default)]
    pub foreign_allowed_categories: Vec<String>,
    /// A domestic vendor must carry a valid national business id (Kazakhstan: BIN).
    #[serde(default)]
    pub domestic_id_required: bool,
    /// A resident individual counts as a domestic vendor.
    #[serde(default)]
    pub resident_individuals: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Minimum {
    /// A fixed amount, optionally by production kind.
    Absolute {
        #[serde(default)]
        amount: Option<Decimal>,
        #[serde(default)]
        by_kind: BTreeMap<Kind, Decimal>,
    },
    /// A number of index units (e.g. 130,000 MCI) valued in the claim's year.
    Index { index: String, units: Decimal },
    /// The lower of a fixed amount and a share of the total budget.
    LowerOfAmountAndBudgetShare { amount: Decimal, share: Rate },
    /// A share of the total budget spent in the country.
    BudgetShare { share: Rate },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum BracketMode {
    /// The rate of the bracket the whole base falls in applies to all of it.
    Whole,
    /// Each slice of the base gets its own bracket's rate.
    Marginal,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Bracket {
    /// Upper edge of the bracket, inclusive; `None` for the last.
    #[serde(default)]
    pub up_to: Option<Decimal>,
    pub rate: Rate,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RateRule {
    Flat {
        rate: Rate,
    },
    ByKind {
        default: Rate,
        #[serde(default)]
        rates: BTreeMap<Kind, Rate>,
    },
    Brackets {
        mode: BracketMode,
        brackets: Vec<Bracket>,
    },
    /// `base` until spend in `category` exceeds `above`; then `rate` on all spend.
    Threshold {
        base: Rate,
        category: String,
        above: Decimal,
        rate: Rate,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Uplift {
    /// Points when at least `min_share` of shooting days are outside the main cities.
    ShootingDaysOutside {
        code: String,
        points: Decimal,
        min_share: Rate,
    },
    /// Points when the production carries any of the listed cultural codes.
    Cultural {
        code: String,
        points: Decimal,
        any_of: Vec<String>,
    },
    /// Points per listed item the production carries, up to `max_items`.
    Checklist {
        code: String,
        points_per_item: Decimal,
        max_items: u32,
        items: Vec<String>,
    },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum BaseCap {
    /// Eligible spend at most `share` of the total production budget.
    ShareOfBudget { code: String, share: Rate },
    /// Spend in `categories` counts at most `share` of qualifying spend.
    CategoryShare {
        code: String,
        categories: Vec<String>,
        share: Rate,
    },
    /// Foreign-vendor spend counts at most `share` of domestic spend.
    ForeignShareOfDomestic { code: String, share: Rate },
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum RebateCap {
    Absolute {
        code: String,
        amount: Decimal,
    },
    Index {
        code: String,
        index: String,
        units: Decimal,
    },
}

impl Programme {
    pub fn from_toml(text: &str) -> Result<Self, EngineError> {
        let p: Programme = toml::from_str(text).map_err(|e| EngineError::BadProgramme {
            programme: "?".into(),
            reason: e.to_string(),
        })?;
        p.check()?;
        Ok(p)
    }

    fn bad(&self, reason: impl Into<String>) -> EngineError {
        EngineError::BadProgramme {
            programme: self.id.clone(),
            reason: reason.into(),
        }
    }

    /// Structural checks a TOML parser cannot make.
    fn check(&self) -> Result<(), EngineError> {
        if self.versions.is_empty() {
            return Err(self.bad("has no versions"));
        }
        let mut sorted: Vec<&Version> = self.versions.iter().collect();
        sorted.sort_by_key(|v| v.effective_from);
        for pair in sorted.windows(2) {
            let end = pair[0].effective_to.ok_or_else(|| {
                self.bad(format!(
                    "version {} has no effective_to but a later version follows",
                    pair[0].version
                ))
            })?;
            if end >= pair[1].effective_from {
                return Err(self.bad(format!(
                    "versions {} and {} overlap",
                    pair[0].version, pair[1].version
                )));
            }
        }
        for v in &self.versions {
            if let RateRule::Brackets { brackets, .. } = &v.rate {
                let edges: Vec<Option<Decimal>> = brackets.iter().map(|b| b.up_to).collect();
                let last_open = edges.last().is_some_and(Option::is_none);
                let rising = edges
                    .iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .windows(2)
                    .all(|w| w[0] < w[1]);
                if brackets.is_empty()
                    || !last_open
                    || !rising
                    || edges[..edges.len() - 1].iter().any(Option::is_none)
                {
                    return Err(self.bad(format!(
                        "version {}: brackets must rise and end with an open bracket",
                        v.version
                    )));
                }
            }
            for c in &v.categories.resident_only {
                if !v.categories.qualifying.contains(c) {
                    return Err(self.bad(format!(
                        "version {}: resident_only category {c} is not qualifying",
                        v.version
                    )));
                }
            }
        }
        Ok(())
    }

    /// The version in force on `date`.
    pub fn version_on(&self, date: NaiveDate) -> Result<&Version, EngineError> {
        self.versions
            .iter()
            .find(|v| v.effective_from <= date && v.effective_to.is_none_or(|to| date <= to))
            .ok_or_else(|| EngineError::NoVersionInForce {
                programme: self.id.clone(),
                date,
            })
    }
}
