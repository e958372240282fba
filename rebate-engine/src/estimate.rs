//! Estimates for the film commission: a budget split by category instead of paid lines, for
//! one programme or side by side for several in one currency. The same rules and the same
//! computation as a claim, so an estimate never promises what the claim would not give.
//!
//! Assumptions, stated in every result's notes: spend is paid on `registered_on` (inside any
//! spend window) to properly registered vendors of the programme's country, unless an item
//! says `"vendor": "foreign"`.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::claim::{
    country, currency, date, parse_fx, Claim, FxInput, Line, ProductionInput, VendorId,
};
use crate::compute::{compute, Context};
use crate::error::{EngineError, InputError, Reason};
use crate::money::{parse_amount, Currency};
use crate::programme::Programme;
use crate::result::RebateResult;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BudgetItemInput {
    #[cfg_attr(feature = "openapi", schema(pattern = r"\S"))]
    pub category: String,
    /// A decimal string, at most 2 decimals, at most 10^15.
    #[cfg_attr(
        feature = "openapi",
        schema(pattern = r"^((0|[1-9][0-9]{0,14})(\.[0-9]{1,2})?|1000000000000000(\.00?)?)$")
    )]
    pub amount: String,
    /// Defaults to the total budget's currency.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    /// `local` (default) or `foreign`.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^(local|foreign)$"))]
    pub vendor: Option<String>,
    /// Whether people paid under this item are residents (default true).
    #[serde(default)]
    pub resident: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct EstimateInput {
    #[serde(default)]
    pub programme: Option<String>,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub as_of: String,
    /// The currency a comparison is shown in; defaults to the total budget's currency.
    #[serde(default)]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[A-Z]{3}$"))]
    pub currency: Option<String>,
    pub production: ProductionInput,
    pub budget: Vec<BudgetItemInput>,
    #[serde(default)]
    pub fx: Vec<FxInput>,
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    pub currency: Currency,
    #[cfg_attr(feature = "openapi", schema(format = Date))]
    pub as_of: String,
    pub results: Vec<RebateResult>,
    /// Index values taken from an earlier year because `as_of`'s is not published yet.
    pub index_carried_forward: Vec<crate::tables::Carried>,
}

const FOREIGN: &str = "ZZ";

fn claim_for(p: &Programme, input: &EstimateInput) -> Result<Claim, InputError> {
    let production = input.production.parse()?;
    let mut lines = Vec::with_capacity(input.budget.len());
    for (i, b) in input.budget.iter().enumerate() {
        let f = |n: &str| format!("budget[{i}].{n}");
        let foreign = match b.vendor.as_deref() {
            None | Some("local") => false,
            Some("foreign") => true,
            Some(other) => {
                return Err(InputError::new(
                    f("vendor"),
                    Reason::NotVendor {
                        got: other.to_owned(),
                    },
                ))
            }
        };
        let cur = match &b.currency {
            Some(c) => currency(&f("currency"), c)?,
            None => production.budget_currency.clone(),
        };
        lines.push(Line {
            id: format!("B{}", i + 1),
            category: b.category.clone(),
            amount: parse_amount(&f("amount"), &b.amount)?,
            currency: cur,
            paid_on: production.registered_on,
            vendor_country: if foreign {
                FOREIGN.into()
            } else {
                country("programme.country", &p.country)?
            },
            vendor_id: if foreign {
                VendorId::None
            } else {
                VendorId::Assumed
            },
            resident: b.resident.unwrap_or(!foreign),
        });
    }
    Ok(Claim {
        programme: p.id.clone(),
        as_of: date("as_of", &input.as_of)?,
        production,
        lines,
        fx: parse_fx(&input.fx)?,
    })
}

pub fn estimate(
    p: &Programme,
    input: &EstimateInput,
    ctx: &Context<'_>,
) -> Result<RebateResult, EngineError> {
    let claim = claim_for(p, input)?;
    // A future shoot: past the last published MCI the latest one stands in (and is noted).
    let (index, carried) = ctx
        .index
        .carried_forward(chrono::Datelike::year(&claim.as_of));
    let ctx = Context {
        fx: ctx.fx,
        index: &index,
    };
    let mut r = compute(p, &claim, &ctx)?;
    r.notes.push("estimate: spend assumed paid on registered_on to registered local vendors unless marked foreign".into());
    for c in carried {
        r.notes.push(format!(
            "estimate: {} for {} is not published yet; {}'s value {} is used",
            c.index, c.year, c.from_year, c.value
        ));
    }
    Ok(r)
}

/// The index values an estimate dated `as_of` takes from an earlier year (see
/// [`IndexTable::carried_forward`](crate::tables::IndexTable::carried_forward)).
pub fn carried(
    index: &crate::tables::IndexTable,
    input: &EstimateInput,
) -> Result<Vec<crate::tables::Carried>, EngineError> {
    let as_of = date("as_of", &input.as_of)?;
    Ok(index.carried_forward(chrono::Datelike::year(&as_of)).1)
}

/// Side-by-side estimates, every amount converted to `input.currency` at the rate of
/// `registered_on`, the date the estimate's spend is assumed paid, so that FX movements
/// between then and `as_of` do not make one programme's spend look different from another's.
pub fn compare(
    programmes: &[Programme],
    input: &EstimateInput,
    ctx: &Context<'_>,
) -> Result<Comparison, EngineError> {
    let production = input.production.parse()?;
    let on = production.registered_on;
    let to = match &input.currency {
        Some(c) => currency("currency", c)?,
        None => production.budget_currency.clone(),
    };
    let fx = ctx.fx.overlaid(&parse_fx(&input.fx)?);
    let mut results = Vec::with_capacity(programmes.len());
    for p in programmes {
        let r = estimate(p, input, ctx)?;
        results.push(convert_result(r, &fx, &to, on)?);
    }
    let index_carried_forward = carried(ctx.index, input)?;
    Ok(Comparison {
        currency: to,
        as_of: input.as_of.clone(),
        results,
        index_carried_forward,
    })
}

fn convert_result(
    mut r: RebateResult,
    fx: &crate::tables::FxTable,
    to: &Currency,
    on: chrono::NaiveDate,
) -> Result<RebateResult, EngineError> {
    let from = r.currency.clone();
    if &from != to {
        r.own = Some(crate::result::OwnCurrency {
            currency: from.clone(),
            rebate: r.rebate,
        });
    }
    let c = |d: Decimal| fx.convert(d, &from, to, on);
    r.qualifying_spend = c(r.qualifying_spend)?;
    r.excluded_spend = c(r.excluded_spend)?;
    r.eligible_spend = c(r.eligible_spend)?;
    r.rebate_before_caps = c(r.rebate_before_caps)?;
    // The programme pays whole units of its own currency; shown in another currency the
    // same amount is rounded to the cent like every other converted figure.
    r.rebate = c(r.rebate)?;
    r.annual_pool = r.annual_pool.map(c).transpose()?;
    if let Some(m) = r.minimum.as_mut() {
        m.required = c(m.required)?;
        m.qualifying_spend = c(m.qualifying_spend)?;
    }
    for cap in &mut r.caps {
        cap.limit = c(cap.limit)?;
        cap.by = c(cap.by)?;
    }
    if let Some(t) = r.tax.as_mut() {
        t.gross = c(t.gross)?;
        t.tax = c(t.tax)?;
    }
    for l in &mut r.lines {
        l.amount = c(l.amount)?;
        l.qualifying = c(l.qualifying)?;
        l.excluded = c(l.excluded)?;
    }
    r.notes.push(format!(
        "amounts converted from {from} to {to} at the rate of {on}"
    ));
    r.currency = to.clone();
    Ok(r)
}
