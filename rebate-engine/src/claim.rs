//! A rebate claim: the wire shape (JSON, documented by `claim.schema.json`) and the validated
//! domain shape. `Claim::parse` is the only way in, and its errors name the JSON path.

use std::collections::HashSet;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Deserialize;

use crate::error::{InputError, Reason};
use crate::money::{parse_amount, Currency};
use crate::programme::Kind;
use crate::tables::FxTable;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClaimInput {
    pub programme: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub as_of: String,
    pub production: ProductionInput,
    pub lines: Vec<LineInput>,
    #[serde(default)]
    pub fx: Vec<FxInput>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MoneyInput {
    /// A decimal string, at most 2 decimals, at most 10^15.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^((0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?|1000000000000000(\.00?)?)$")
    )]
    pub amount: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ShootingDaysInput {
    #[serde(deserialize_with = "schemas::integral::unsigned")]
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295u32))]
    pub total: u32,
    #[serde(deserialize_with = "schemas::integral::unsigned")]
    #[cfg_attr(feature = "openapi", schema(maximum = 4294967295u32))]
    pub outside_almaty_astana: u32,
}

/// Cross-field rules a schema cannot state: `completed_on` is on or after `registered_on`, and
/// `shooting_days.outside_almaty_astana` is at most `total`.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProductionInput {
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S"))]
    pub title: String,
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = "^(feature|series|documentary|animation)$")
    )]
    pub kind: String,
    pub total_budget: MoneyInput,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{2}$"))]
    pub applicant_country: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub registered_on: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub completed_on: String,
    #[serde(default)]
    pub shooting_days: Option<ShootingDaysInput>,
    #[serde(default)]
    pub cultural: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LineInput {
    /// Unique within the claim.
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S"))]
    pub id: String,
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S"))]
    pub category: String,
    /// A decimal string, at most 2 decimals, at most 10^15.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^((0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?|1000000000000000(\.00?)?)$")
    )]
    pub amount: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub paid_on: String,
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{2}$"))]
    pub vendor_country: String,
    #[serde(default)]
    pub vendor_bin: Option<String>,
    #[serde(default)]
    pub resident: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct FxInput {
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub date: String,
    /// Tenge for one unit, positive.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^(0\.[0-9]*[1-9][0-9]*|[1-9][0-9]{0,11}(\.[0-9]+)?)$")
    )]
    pub kzt: String,
}

#[derive(Debug, Clone)]
pub struct Production {
    pub title: String,
    pub kind: Kind,
    pub total_budget: Decimal,
    pub budget_currency: Currency,
    pub applicant_country: String,
    pub registered_on: NaiveDate,
    pub completed_on: NaiveDate,
    /// (total, outside Almaty and Astana)
    pub shooting_days: Option<(u32, u32)>,
    pub cultural: Vec<String>,
}

/// How a line's vendor is identified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VendorId {
    /// A national business id as given (checked by the programme's rule).
    Given(String),
    None,
    /// An estimate assumes properly registered local vendors.
    Assumed,
}

#[derive(Debug, Clone)]
pub struct Line {
    pub id: String,
    pub category: String,
    pub amount: Decimal,
    pub currency: Currency,
    pub paid_on: NaiveDate,
    pub vendor_country: String,
    pub vendor_id: VendorId,
    pub resident: bool,
}

#[derive(Debug, Clone)]
pub struct Claim {
    pub programme: String,
    pub as_of: NaiveDate,
    pub production: Production,
    pub lines: Vec<Line>,
    /// The claim's own rates; they win over the shipped table.
    pub fx: FxTable,
}

pub fn date(field: &str, s: &str) -> Result<NaiveDate, InputError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| InputError::new(field, Reason::NotDate { got: s.to_owned() }))
}

pub fn currency(field: &str, s: &str) -> Result<Currency, InputError> {
    Currency::parse(s)
        .map_err(|_| InputError::new(field, Reason::NotCurrency { got: s.to_owned() }))
}

pub fn country(field: &str, s: &str) -> Result<String, InputError> {
    if s.len() == 2 && s.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(s.to_owned())
    } else {
        Err(InputError::new(
            field,
            Reason::NotCountry { got: s.to_owned() },
        ))
    }
}

/// Parses JSON into the wire type; a serde error becomes an error at its JSON path.
pub fn from_json<'de, T: Deserialize<'de>>(text: &'de str) -> Result<T, InputError> {
    let de = &mut serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        let reason = inner.split(" at line ").next().unwrap_or(&inner).to_owned();
        InputError::new(
            if path == "." || path.is_empty() {
                "$".to_owned()
            } else {
                path
            },
            Reason::of_serde(&reason),
        )
    })
}

impl ProductionInput {
    pub fn parse(&self) -> Result<Production, InputError> {
        let kind = Kind::parse(&self.kind).ok_or_else(|| {
            InputError::new(
                "production.kind",
                Reason::NotKind {
                    got: self.kind.clone(),
                },
            )
        })?;
        let registered_on = date("production.registered_on", &self.registered_on)?;
        let completed_on = date("production.completed_on", &self.completed_on)?;
        if completed_on < registered_on {
            return Err(InputError::new(
                "production.completed_on",
                Reason::BeforeRegistered,
            ));
        }
        let shooting_days = match &self.shooting_days {
            Some(s) if s.outside_almaty_astana > s.total => {
                return Err(InputError::new(
                    "production.shooting_days.outside_almaty_astana",
                    Reason::MoreThanTotal,
                ));
            }
            Some(s) => Some((s.total, s.outside_almaty_astana)),
            None => None,
        };
        if self.title.trim().is_empty() {
            return Err(InputError::new("production.title", Reason::Empty));
        }
        Ok(Production {
            title: self.title.clone(),
            kind,
            total_budget: parse_amount(
                "production.total_budget.amount",
                &self.total_budget.amount,
            )?,
            budget_currency: currency(
                "production.total_budget.currency",
                &self.total_budget.currency,
            )?,
            applicant_country: country("production.applicant_country", &self.applicant_country)?,
            registered_on,
            completed_on,
            shooting_days,
            cultural: self.cultural.clone(),
        })
    }
}

pub fn parse_fx(list: &[FxInput]) -> Result<FxTable, InputError> {
    let mut fx = FxTable::default();
    for (i, f) in list.iter().enumerate() {
        let kzt: Decimal = f.kzt.parse().map_err(|_| {
            InputError::new(
                format!("fx[{i}].kzt"),
                Reason::NotDecimal { got: f.kzt.clone() },
            )
        })?;
        fx.insert(
            currency(&format!("fx[{i}].currency"), &f.currency)?,
            date(&format!("fx[{i}].date"), &f.date)?,
            kzt,
        )
        .map_err(|e| InputError::new(format!("fx[{i}].kzt"), e.reason))?;
    }
    Ok(fx)
}

/// Every problem of the spend lines at once, each at its `lines[i].<column>` path, by line and
/// then column (`id`, `category`, `amount`, `currency`, `paid_on`, `vendor_country`): a form
/// lists them all, [`Claim::parse`] refuses with the first.
pub fn line_problems(lines: &[LineInput]) -> Vec<InputError> {
    let mut out = Vec::new();
    let mut ids = HashSet::new();
    for (i, l) in lines.iter().enumerate() {
        let f = |name: &str| format!("lines[{i}].{name}");
        if l.id.trim().is_empty() {
            out.push(InputError::new(f("id"), Reason::Empty));
        } else if !ids.insert(l.id.as_str()) {
            out.push(InputError::new(
                f("id"),
                Reason::DuplicateId { id: l.id.clone() },
            ));
        }
        if l.category.trim().is_empty() {
            out.push(InputError::new(f("category"), Reason::Empty));
        }
        out.extend(parse_amount(&f("amount"), &l.amount).err());
        out.extend(currency(&f("currency"), &l.currency).err());
        out.extend(date(&f("paid_on"), &l.paid_on).err());
        out.extend(country(&f("vendor_country"), &l.vendor_country).err());
    }
    out
}

impl Claim {
    pub fn parse_json(text: &str) -> Result<Self, InputError> {
        Self::parse(&from_json::<ClaimInput>(text)?)
    }

    pub fn parse(input: &ClaimInput) -> Result<Self, InputError> {
        if let Some(first) = line_problems(&input.lines).into_iter().next() {
            return Err(first);
        }
        let mut lines = Vec::with_capacity(input.lines.len());
        for (i, l) in input.lines.iter().enumerate() {
            let f = |name: &str| format!("lines[{i}].{name}");
            lines.push(Line {
                id: l.id.clone(),
                category: l.category.clone(),
                amount: parse_amount(&f("amount"), &l.amount)?,
                currency: currency(&f("currency"), &l.currency)?,
                paid_on: date(&f("paid_on"), &l.paid_on)?,
                vendor_country: country(&f("vendor_country"), &l.vendor_country)?,
                vendor_id: l.vendor_bin.clone().map_or(VendorId::None, VendorId::Given),
                resident: l.resident.unwrap_or(false),
            });
        }
        if input.programme.trim().is_empty() {
            return Err(InputError::new("programme", Reason::Empty));
        }
        Ok(Claim {
            programme: input.programme.clone(),
            as_of: date("as_of", &input.as_of)?,
            production: input.production.parse()?,
            lines,
            fx: parse_fx(&input.fx)?,
        })
    }
}
