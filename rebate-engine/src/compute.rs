//! The computation, in the order a reviewer checks a claim:
//! 1. the version in force on `as_of`;
//! 2. each line — converted, then qualifying or excluded with a reason;
//! 3. spend caps on the eligible base;
//! 4. eligibility (applicant, kind, minimum spend);
//! 5. base rate, uplifts, maximum rate;
//! 6. rebate caps;
//! 7. tax on a taxable credit;
//! 8. rounding down to a whole unit.

use std::collections::BTreeMap;

use chrono::Datelike;
use rust_decimal::Decimal;

use crate::claim::{Claim, Line, VendorId};
use crate::error::EngineError;
use crate::money::{checked_add, checked_mul, round_line, round_rebate, Rate};
use crate::programme::{
    BaseCap, BracketMode, Minimum, Programme, RateRule, RebateCap, Uplift, Version,
};
use crate::result::{
    CapResult, LineResult, MinimumResult, Reason, RebateResult, TaxResult, UpliftResult,
};
use crate::tables::{FxTable, IndexTable};

/// Everything the engine reads besides the claim.
pub struct Context<'a> {
    pub fx: &'a FxTable,
    pub index: &'a IndexTable,
}

struct Judged {
    result: LineResult,
    foreign: bool,
}

fn sum<I: IntoIterator<Item = Decimal>>(items: I) -> Result<Decimal, EngineError> {
    items.into_iter().try_fold(Decimal::ZERO, checked_add)
}

fn domestic_id_ok(country: &str, id: &VendorId) -> Result<(), String> {
    match id {
        VendorId::Assumed => Ok(()),
        VendorId::None => Err("a domestic vendor needs its business id".into()),
        VendorId::Given(s) if country == "KZ" => schemas::Bin::parse(s)
            .map(|_| ())
            .map_err(|e| format!("vendor_bin {e}")),
        VendorId::Given(s) if s.trim().is_empty() => Err("vendor id is empty".into()),
        VendorId::Given(_) => Ok(()),
    }
}

/// Why a line does not qualify, or `None` when it does.
fn exclusion(
    v: &Version,
    p: &Programme,
    claim: &Claim,
    l: &Line,
) -> Option<(&'static str, String)> {
    let c = &v.categories;
    if c.excluded.contains(&l.category) {
        return Some((
            "excluded_category",
            format!("{} never qualifies under {}", l.category, p.id),
        ));
    }
    if !c.qualifying.contains(&l.category) {
        return Some((
            "unknown_category",
            format!("{} is not a category of {}", l.category, p.id),
        ));
    }
    if v.spend_window
        && (l.paid_on < claim.production.registered_on || l.paid_on > claim.production.completed_on)
    {
        return Some((
            "outside_spend_window",
            format!(
                "paid {} outside {} – {}",
                l.paid_on, claim.production.registered_on, claim.production.completed_on
            ),
        ));
    }
    let domestic = l.vendor_country == p.country;
    if domestic
        && v.vendors.domestic_id_required
        && !(v.vendors.resident_individuals && l.resident && l.vendor_id == VendorId::None)
    {
        if let Err(e) = domestic_id_ok(&p.country, &l.vendor_id) {
            return Some(("invalid_vendor_id", e));
        }
    }
    if !domestic
        && !v.vendors.foreign_allowed
        && !v.vendors.foreign_allowed_categories.contains(&l.category)
    {
        return Some((
            "foreign_vendor",
            format!(
                "vendor in {} is not a {} vendor",
                l.vendor_country, p.country
            ),
        ));
    }
    if c.resident_only.contains(&l.category) && !l.resident {
        return Some((
            "non_resident",
            format!(
                "{} qualifies only for residents of {}",
                l.category, p.country
            ),
        ));
    }
    None
}

fn judge_lines(
    v: &Version,
    p: &Programme,
    claim: &Claim,
    fx: &FxTable,
) -> Result<Vec<Judged>, EngineError> {
    claim
        .lines
        .iter()
        .map(|l| {
            let amount = round_line(fx.convert(l.amount, &l.currency, &p.currency, l.paid_on)?);
            let (qualifying, excluded, reason, detail) = match exclusion(v, p, claim, l) {
                None => (
                    amount,
                    Decimal::ZERO,
                    "qualifying".to_owned(),
                    format!("{} spend qualifies", l.category),
                ),
                Some((code, detail)) => (Decimal::ZERO, amount, code.to_owned(), detail),
            };
            Ok(Judged {
                result: LineResult {
                    id: l.id.clone(),
                    category: l.category.clone(),
                    amount,
                    qualifying,
                    excluded,
                    reason,
                    detail,
                },
                foreign: l.vendor_country != p.country,
            })
        })
        .collect()
}

fn minimum(
    m: &Minimum,
    claim: &Claim,
    budget: Decimal,
    ctx: &Context<'_>,
) -> Result<(Decimal, String), EngineError> {
    Ok(match m {
        Minimum::Absolute { amount, by_kind } => {
            let req = by_kind
                .get(&claim.production.kind)
                .copied()
                .or(*amount)
                .unwrap_or(Decimal::ZERO);
            (
                req,
                format!(
                    "at least {req} for a {:?} production",
                    claim.production.kind
                )
                .to_lowercase(),
            )
        }
        Minimum::Index { index, units } => {
            let (value, year) = ctx.index.value_and_year(index, claim.as_of)?;
            let req = checked_mul(*units, value)?;
            (req, format!("{units} {index} × {value} ({year}) = {req}"))
        }
        Minimum::LowerOfAmountAndBudgetShare { amount, share } => {
            let of_budget = round_line(checked_mul(budget, share.get())?);
            let req = (*amount).min(of_budget);
            (
                req,
                format!("the lower of {amount} and {share} of the budget ({of_budget})"),
            )
        }
        Minimum::BudgetShare { share } => {
            let req = round_line(checked_mul(budget, share.get())?);
            (req, format!("{share} of the total budget ({budget})"))
        }
    })
}

/// The rebate of `base` under a rate rule, and the rate it amounts to.
fn base_rebate(
    rule: &RateRule,
    claim: &Claim,
    base: Decimal,
    by_category: &BTreeMap<String, Decimal>,
) -> Result<(Decimal, Rate, String), EngineError> {
    let flat = |r: Rate, why: String| Ok((checked_mul(base, r.get())?, r, why));
    match rule {
        RateRule::Flat { rate } => flat(*rate, format!("flat {rate}")),
        RateRule::ByKind { default, rates } => {
            let r = rates
                .get(&claim.production.kind)
                .copied()
                .unwrap_or(*default);
            flat(
                r,
                format!("{r} for a {:?} production", claim.production.kind).to_lowercase(),
            )
        }
        RateRule::Threshold {
            base: b,
            category,
            above,
            rate,
        } => {
            let spent = by_category.get(category).copied().unwrap_or_default();
            if spent > *above {
                flat(
                    *rate,
                    format!("{rate} on all spend: {category} spend {spent} exceeds {above}"),
                )
            } else {
                flat(
                    *b,
                    format!("{b}: {category} spend {spent} does not exceed {above}"),
                )
            }
        }
        RateRule::Brackets {
            mode: BracketMode::Whole,
            brackets,
        } => {
            let b = brackets
                .iter()
                .find(|b| b.up_to.is_none_or(|u| base <= u))
                .expect("last bracket is open");
            flat(
                b.rate,
                format!(
                    "{} on the whole amount: {base} falls in the bracket up to {}",
                    b.rate,
                    b.up_to.map_or("∞".into(), |u| u.to_string())
                ),
            )
        }
        RateRule::Brackets {
            mode: BracketMode::Marginal,
            brackets,
        } => {
            let (mut rebate, mut lower, mut parts) = (Decimal::ZERO, Decimal::ZERO, Vec::new());
            for b in brackets {
                let upper = b.up_to.unwrap_or(base).min(base);
                if upper > lower {
                    let slice = upper - lower;
                    rebate = checked_add(rebate, checked_mul(slice, b.rate.get())?)?;
                    parts.push(format!("{slice} at {}", b.rate));
                    lower = upper;
                }
            }
            let effective = if base.is_zero() {
                Rate::ZERO
            } else {
                Rate::new((rebate / base).round_dp(6)).unwrap_or(Rate::ZERO)
            };
            Ok((
                rebate,
                effective,
                format!("by bracket: {}", parts.join(" + ")),
            ))
        }
    }
}

fn uplift(u: &Uplift, claim: &Claim) -> UpliftResult {
    let p = &claim.production;
    match u {
        Uplift::ShootingDaysOutside { code, points, min_share } => match p.shooting_days {
            Some((total, outside)) if total > 0 && Decimal::from(outside) / Decimal::from(total) >= min_share.get() => UpliftResult {
                code: code.clone(),
                points: *points,
                reason: format!("{outside} of {total} shooting days outside Almaty and Astana (at least {min_share} needed)"),
            },
            Some((total, outside)) => UpliftResult {
                code: code.clone(),
                points: Decimal::ZERO,
                reason: format!("only {outside} of {total} shooting days outside Almaty and Astana (at least {min_share} needed)"),
            },
            None => UpliftResult { code: code.clone(), points: Decimal::ZERO, reason: "no shooting days given".into() },
        },
        Uplift::Cultural { code, points, any_of } => match p.cultural.iter().find(|c| any_of.contains(c)) {
            Some(c) => UpliftResult { code: code.clone(), points: *points, reason: format!("passes the cultural test: {c}") },
            None => UpliftResult { code: code.clone(), points: Decimal::ZERO, reason: format!("none of {} claimed", any_of.join(", ")) },
        },
        Uplift::Checklist { code, points_per_item, max_items, items } => {
            let met: Vec<&String> = p.cultural.iter().filter(|c| items.contains(c)).collect();
            let n = (met.len() as u32).min(*max_items);
            UpliftResult {
                code: code.clone(),
                points: *points_per_item * Decimal::from(n),
                reason: format!("{n} of at most {max_items} checklist items met"),
            }
        }
    }
}

/// Computes a claim under `programme`. Pure: same inputs, same result.
pub fn compute(
    programme: &Programme,
    claim: &Claim,
    ctx: &Context<'_>,
) -> Result<RebateResult, EngineError> {
    let v = programme.version_on(claim.as_of)?;
    let fx = ctx.fx.overlaid(&claim.fx);
    let judged = judge_lines(v, programme, claim, &fx)?;
    let qualifying_spend = sum(judged.iter().map(|j| j.result.qualifying))?;
    let excluded_spend = sum(judged.iter().map(|j| j.result.excluded))?;
    let mut by_category: BTreeMap<String, Decimal> = BTreeMap::new();
    for j in &judged {
        let e = by_category.entry(j.result.category.clone()).or_default();
        *e = checked_add(*e, j.result.qualifying)?;
    }
    let budget = fx.convert(
        claim.production.total_budget,
        &claim.production.budget_currency,
        &programme.currency,
        claim.as_of,
    )?;

    // Spend caps, in file order.
    let mut caps = Vec::new();
    let mut eligible = qualifying_spend;
    for cap in &v.base_caps {
        let (code, limit, excess, detail) = match cap {
            BaseCap::ShareOfBudget { code, share } => {
                let limit = round_line(checked_mul(budget, share.get())?);
                (
                    code,
                    limit,
                    (eligible - limit).max(Decimal::ZERO),
                    format!("eligible spend at most {share} of the budget {budget}"),
                )
            }
            BaseCap::CategoryShare {
                code,
                categories,
                share,
            } => {
                let spent = sum(categories
                    .iter()
                    .map(|c| by_category.get(c).copied().unwrap_or_default()))?;
                let limit = round_line(checked_mul(qualifying_spend, share.get())?);
                (
                    code,
                    limit,
                    (spent - limit).max(Decimal::ZERO),
                    format!(
                        "{} count at most {share} of qualifying spend; spent {spent}",
                        categories.join(", ")
                    ),
                )
            }
            BaseCap::ForeignShareOfDomestic { code, share } => {
                let foreign = sum(judged
                    .iter()
                    .filter(|j| j.foreign)
                    .map(|j| j.result.qualifying))?;
                let domestic = qualifying_spend - foreign;
                let limit = round_line(checked_mul(domestic, share.get())?);
                (code, limit, (foreign - limit).max(Decimal::ZERO), format!("foreign spend {foreign} counts at most {share} of domestic spend {domestic}"))
            }
        };
        let excess = excess.min(eligible);
        eligible -= excess;
        caps.push(CapResult {
            code: code.clone(),
            applies_to: "spend".into(),
            limit,
            bound: excess > Decimal::ZERO,
            by: excess,
            detail,
        });
    }

    // Eligibility.
    let mut ineligibility = Vec::new();
    if v.applicant_must_be_foreign && claim.production.applicant_country == programme.country {
        ineligibility.push(Reason {
            code: "applicant_not_foreign".into(),
            message: format!(
                "the applicant must be a foreign legal entity, not {}",
                programme.country
            ),
        });
    }
    if let Some(kinds) = &v.kinds {
        if !kinds.contains(&claim.production.kind) {
            ineligibility.push(Reason {
                code: "kind_not_covered".into(),
                message: format!("{:?} productions are not covered", claim.production.kind)
                    .to_lowercase(),
            });
        }
    }
    let minimum = match &v.minimum {
        Some(m) => {
            let (required, detail) = minimum(m, claim, budget, ctx)?;
            let met = qualifying_spend >= required;
            if !met {
                ineligibility.push(Reason {
                    code: "below_minimum_spend".into(),
                    message: format!(
                        "qualifying spend {qualifying_spend} is below the minimum {required}"
                    ),
                });
            }
            Some(MinimumResult {
                required,
                qualifying_spend,
                met,
                detail,
            })
        }
        None => None,
    };

    // Rate.
    let (base_amount, base_rate, _why) = base_rebate(&v.rate, claim, eligible, &by_category)?;
    let uplifts: Vec<UpliftResult> = v.uplifts.iter().map(|u| uplift(u, claim)).collect();
    let points = sum(uplifts.iter().map(|u| u.points))?;
    let max_rate = v
        .max_rate
        .unwrap_or(Rate::new(Decimal::ONE).expect("1 is a rate"));
    let rate = base_rate.plus_capped(points, max_rate);
    // Uplift points apply on top of the base rebate (for marginal brackets too), bounded by max_rate.
    let rebate_before_caps = if rate.get() == base_rate.get() + points {
        checked_add(base_amount, checked_mul(eligible, points)?)?
    } else {
        checked_mul(eligible, rate.get())?
    };

    // Rebate caps.
    let mut rebate = rebate_before_caps;
    for cap in &v.rebate_caps {
        let (code, limit, detail) = match cap {
            RebateCap::Absolute { code, amount } => (
                code,
                *amount,
                format!("at most {amount} {} per project", programme.currency),
            ),
            RebateCap::Index { code, index, units } => {
                let value = ctx.index.value(index, claim.as_of)?;
                let limit = checked_mul(*units, value)?;
                (
                    code,
                    limit,
                    format!("at most {units} {index} × {value} = {limit} per project"),
                )
            }
        };
        let excess = (rebate - limit).max(Decimal::ZERO);
        rebate -= excess;
        caps.push(CapResult {
            code: code.clone(),
            applies_to: "rebate".into(),
            limit,
            bound: excess > Decimal::ZERO,
            by: excess,
            detail,
        });
    }

    let tax = v.credit_tax_rate.map(|r| {
        let t = round_line(rebate * r.get());
        TaxResult {
            rate: r,
            gross: rebate,
            tax: t,
        }
    });
    if let Some(t) = &tax {
        rebate -= t.tax;
    }
    let is_eligible = ineligibility.is_empty();
    let pool_year = claim.as_of.year().to_string();
    Ok(RebateResult {
        programme: programme.id.clone(),
        version: v.version.clone(),
        currency: programme.currency.clone(),
        eligible: is_eligible,
        ineligibility,
        qualifying_spend,
        excluded_spend,
        eligible_spend: eligible,
        minimum,
        base_rate,
        uplifts,
        rate,
        rebate_before_caps: round_line(rebate_before_caps),
        caps,
        tax,
        rebate: if is_eligible {
            round_rebate(rebate)
        } else {
            Decimal::ZERO
        },
        annual_pool: v.annual_pool.get(&pool_year).copied(),
        lines: judged.into_iter().map(|j| j.result).collect(),
        notes: v.notes.clone(),
        own: None,
    })
}
