//! The explained result. Amounts and rates serialize as decimal strings.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{Currency, Rate};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reason {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineResult {
    pub id: String,
    pub category: String,
    /// In the programme currency, converted at the line's date and rounded to 2 decimals.
    pub amount: Decimal,
    pub qualifying: Decimal,
    pub excluded: Decimal,
    /// `qualifying`, or the exclusion's reason code.
    pub reason: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UpliftResult {
    pub code: String,
    /// Points awarded (0 when the condition is not met).
    pub points: Decimal,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapResult {
    pub code: String,
    /// `spend` caps limit the eligible base; `rebate` caps limit the rebate.
    pub applies_to: String,
    pub limit: Decimal,
    pub bound: bool,
    /// How much the cap took off (0 when it did not bind).
    pub by: Decimal,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MinimumResult {
    pub required: Decimal,
    pub qualifying_spend: Decimal,
    pub met: bool,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TaxResult {
    pub rate: Rate,
    pub gross: Decimal,
    pub tax: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RebateResult {
    pub programme: String,
    pub version: String,
    pub currency: Currency,
    pub eligible: bool,
    pub ineligibility: Vec<Reason>,
    pub qualifying_spend: Decimal,
    pub excluded_spend: Decimal,
    /// Qualifying spend after the spend caps: what the rate applies to.
    pub eligible_spend: Decimal,
    pub minimum: Option<MinimumResult>,
    pub base_rate: Rate,
    pub uplifts: Vec<UpliftResult>,
    pub rate: Rate,
    pub rebate_before_caps: Decimal,
    pub caps: Vec<CapResult>,
    pub tax: Option<TaxResult>,
    /// What the programme pays: `"0"` when ineligible, else rounded down to a whole unit.
    pub rebate: Decimal,
    /// The programme's annual pool for the claim's year, when it has one.
    pub annual_pool: Option<Decimal>,
    pub lines: Vec<LineResult>,
    pub notes: Vec<String>,
    /// In an estimate compared in another currency: what the programme pays, in its own
    /// currency, before that one conversion (the figures above are converted once from it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub own: Option<OwnCurrency>,
}

/// A rebate as its programme pays it: whole units of the programme's currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OwnCurrency {
    pub currency: Currency,
    pub rebate: Decimal,
}
